"""Files the package itself reads (presets, the slide map, reference logs), shipped inside it.

``data/`` at the repository root keeps the files a learner opens; the two the package also
needs (the message catalogue and the recorded monitor log) live in both places, and a test
checks that the copies are identical.
"""
