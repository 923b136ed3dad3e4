"""EM Lab: an interactive laboratory for EM on 2-D Gaussian mixtures.

The package is layered in one direction: ``em`` (pure numpy maths) <- ``session`` (the param state
machine) <- ``views`` (Panel/Bokeh). ``data`` ships and validates data sets, ``geometry`` turns
parameters into ellipses and colours, ``export`` draws figures with matplotlib, ``main`` is the app.
Nothing is imported here, so ``import app.em`` stays numpy-only.
"""
