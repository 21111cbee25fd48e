# Loaded by Python at start-up when this directory is on PYTHONPATH (test/dnssec/dnsviz.test.ts).
# Debian 12's dnsviz (0.9.4) checks `from pygraphviz import release`, a module pygraphviz 1.7
# (python3-pygraphviz) no longer has, so `dnsviz grok` stops with "pygraphviz is required, but not
# installed" although it is. This gives the module back with the installed version; nothing else.
import sys, types
try:
    import pygraphviz
    if not hasattr(pygraphviz, 'release'):
        m = types.ModuleType('pygraphviz.release')
        m.version = pygraphviz.__version__
        sys.modules['pygraphviz.release'] = m
        pygraphviz.release = m
except ImportError:
    pass
