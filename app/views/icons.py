"""Icons for the lab's buttons: inline SVG, so they need no font and no network.

A font glyph (⏸) rendered as an empty box in the page's font (issue 13). Panel's ``icon=`` takes
a tabler icon *name* or an SVG: a name makes BokehJS load the tabler webfont from jsDelivr, which
the static site must not ask for (everything is served from the site itself); an SVG is drawn as
it is. These are the tabler icons (MIT licence, https://tabler.io/icons) that Panel itself ships
inline for its Player widget (panel/dist/panel.js), without their fixed 12 px size: a button's
``icon_size`` sets it. Imports nothing.
"""

PLAY = (
    '<svg aria-hidden="true" xmlns="http://www.w3.org/2000/svg" class="icon icon-tabler icon-ta'
    'bler-player-play-filled" viewBox="0 0 24 24" stroke-width="2" stroke="currentColor" fill="'
    'none" stroke-linecap="round" stroke-linejoin="round"><path stroke="none" d="M0 0h24v24H0z"'
    ' fill="none"/><path d="M6 4v16a1 1 0 0 0 1.524 .852l13 -8a1 1 0 0 0 0 -1.704l-13 -8a1 1 0 '
    '0 0 -1.524 .852z" stroke-width="0" fill="currentColor" /></svg>'
)

PAUSE = (
    '<svg aria-hidden="true" xmlns="http://www.w3.org/2000/svg" class="icon icon-tabler icon-ta'
    'bler-player-pause-filled" viewBox="0 0 24 24" stroke-width="2" stroke="currentColor" fill='
    '"none" stroke-linecap="round" stroke-linejoin="round"><path stroke="none" d="M0 0h24v24H0z'
    '" fill="none"/><path d="M9 4h-2a2 2 0 0 0 -2 2v12a2 2 0 0 0 2 2h2a2 2 0 0 0 2 -2v-12a2 2 0'
    ' 0 0 -2 -2z" stroke-width="0" fill="currentColor" /><path d="M17 4h-2a2 2 0 0 0 -2 2v12a2 '
    '2 0 0 0 2 2h2a2 2 0 0 0 2 -2v-12a2 2 0 0 0 -2 -2z" stroke-width="0" fill="currentColor" />'
    '</svg>'
)

STEP_BACK = (
    '<svg aria-hidden="true" xmlns="http://www.w3.org/2000/svg" class="icon icon-tabler icon-ta'
    'bler-player-skip-back-filled" viewBox="0 0 24 24" stroke-width="2" stroke="currentColor" f'
    'ill="none" stroke-linecap="round" stroke-linejoin="round"><path stroke="none" d="M0 0h24v2'
    '4H0z" fill="none"/><path d="M19.496 4.136l-12 7a1 1 0 0 0 0 1.728l12 7a1 1 0 0 0 1.504 -.8'
    '64v-14a1 1 0 0 0 -1.504 -.864z" stroke-width="0" fill="currentColor" /><path d="M4 4a1 1 0'
    ' 0 1 .993 .883l.007 .117v14a1 1 0 0 1 -1.993 .117l-.007 -.117v-14a1 1 0 0 1 1 -1z" stroke-'
    'width="0" fill="currentColor" /></svg>'
)

STEP = (
    '<svg aria-hidden="true" xmlns="http://www.w3.org/2000/svg" class="icon icon-tabler icon-ta'
    'bler-player-skip-forward-filled" viewBox="0 0 24 24" stroke-width="2" stroke="currentColor'
    '" fill="none" stroke-linecap="round" stroke-linejoin="round"><path stroke="none" d="M0 0h2'
    '4v24H0z" fill="none"/><path d="M3 5v14a1 1 0 0 0 1.504 .864l12 -7a1 1 0 0 0 0 -1.728l-12 -'
    '7a1 1 0 0 0 -1.504 .864z" stroke-width="0" fill="currentColor" /><path d="M20 4a1 1 0 0 1 '
    '.993 .883l.007 .117v14a1 1 0 0 1 -1.993 .117l-.007 -.117v-14a1 1 0 0 1 1 -1z" stroke-width'
    '="0" fill="currentColor" /></svg>'
)

RUN = (
    '<svg aria-hidden="true" xmlns="http://www.w3.org/2000/svg" class="icon icon-tabler icon-ta'
    'bler-player-track-next-filled" viewBox="0 0 24 24" stroke-width="2" stroke="currentColor" '
    'fill="none" stroke-linecap="round" stroke-linejoin="round"><path stroke="none" d="M0 0h24v'
    '24H0z" fill="none"/><path d="M2 5v14c0 .86 1.012 1.318 1.659 .753l8 -7a1 1 0 0 0 0 -1.506l'
    '-8 -7c-.647 -.565 -1.659 -.106 -1.659 .753z" stroke-width="0" fill="currentColor" /><path '
    'd="M13 5v14c0 .86 1.012 1.318 1.659 .753l8 -7a1 1 0 0 0 0 -1.506l-8 -7c-.647 -.565 -1.659 '
    '-.106 -1.659 .753z" stroke-width="0" fill="currentColor" /></svg>'
)

PLUS = (
    '<svg aria-hidden="true" xmlns="http://www.w3.org/2000/svg" class="icon icon-tabler icon-ta'
    'bler-plus" viewBox="0 0 24 24" stroke-width="2" stroke="currentColor" fill="none" stroke-l'
    'inecap="round" stroke-linejoin="round"><path stroke="none" d="M0 0h24v24H0z" fill="none"/>'
    '<path d="M12 5l0 14" /><path d="M5 12l14 0" /></svg>'
)
