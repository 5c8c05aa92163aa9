"""Convert one document to PDF through a running LibreOffice listener (UNO socket).

Run by the worker with the interpreter that has LibreOffice's `uno` module (Debian's
python3-uno: /usr/bin/python3), never imported by the app:

    /usr/bin/python3 uno_convert.py PORT SOURCE TARGET [FILTER]

Exit 0: TARGET written. Exit 3: the listener did not answer (the caller starts one).
Exit 4: LibreOffice could not load or export the document (reason on stderr).
The worker bounds this process with a wall clock and restarts the listener after a kill.
"""
import sys
import time

import uno  # noqa: E402  (python3-uno: only in the system interpreter)
from com.sun.star.beans import PropertyValue  # noqa: E402

EXIT_NO_LISTENER, EXIT_FAILED = 3, 4


def _props(**values):
    out = []
    for name, value in values.items():
        p = PropertyValue()
        p.Name, p.Value = name, value
        out.append(p)
    return tuple(out)


def _connect(port, seconds=1.0):
    local = uno.getComponentContext()
    resolver = local.ServiceManager.createInstanceWithContext("com.sun.star.bridge.UnoUrlResolver", local)
    deadline = time.monotonic() + seconds
    while True:
        try:
            ctx = resolver.resolve(f"uno:socket,host=127.0.0.1,port={port};urp;StarOffice.ComponentContext")
            return ctx.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", ctx)
        except Exception:  # NoConnectException until the listener is up
            if time.monotonic() > deadline:
                return None
            time.sleep(0.1)


def _export_filter(doc):
    for service, name in (("com.sun.star.sheet.SpreadsheetDocument", "calc_pdf_Export"),
                          ("com.sun.star.presentation.PresentationDocument", "impress_pdf_Export"),
                          ("com.sun.star.drawing.DrawingDocument", "draw_pdf_Export")):
        if doc.supportsService(service):
            return name
    return "writer_pdf_Export"


def main(argv):
    port, source, target = argv[1], argv[2], argv[3]
    import_filter = argv[4] if len(argv) > 4 else ""
    desktop = _connect(port, float(sys.argv[5]) if len(argv) > 5 else 1.0)
    if desktop is None:
        print("no LibreOffice listener", file=sys.stderr)
        return EXIT_NO_LISTENER
    # Hidden, read-only, no macros, no links updated, no dialogs: a password-protected file
    # fails to load (an empty password is wrong) instead of waiting for someone to type one.
    load = dict(Hidden=True, ReadOnly=True, MacroExecutionMode=0, UpdateDocMode=0, Password="")
    if import_filter:
        load["FilterName"] = import_filter
    try:
        doc = desktop.loadComponentFromURL(uno.systemPathToFileUrl(source), "_blank", 0, _props(**load))
    except Exception as exc:
        print(f"cannot open: {type(exc).__name__}: {getattr(exc, 'Message', '') or exc}"[:300], file=sys.stderr)
        return EXIT_FAILED
    if doc is None:
        print("cannot open: unreadable or password-protected document", file=sys.stderr)
        return EXIT_FAILED
    try:
        doc.storeToURL(uno.systemPathToFileUrl(target), _props(FilterName=_export_filter(doc)))
    except Exception as exc:
        print(f"cannot export: {type(exc).__name__}: {getattr(exc, 'Message', '') or exc}"[:300], file=sys.stderr)
        return EXIT_FAILED
    finally:
        try:
            doc.close(True)
        except Exception:  # closing a broken document must not hide the result
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
