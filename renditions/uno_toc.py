"""Fill a DOCX's indexes (目录) through a running LibreOffice listener and store it again as DOCX.

Run by the worker with the interpreter that has LibreOffice's `uno` module (Debian's
python3-uno: /usr/bin/python3), never imported by the app; same arguments and exit codes
as uno_convert.py, so renditions.office runs either client:

    /usr/bin/python3 uno_toc.py PORT SOURCE TARGET [FILTER] [CONNECT_SECONDS]

Loads SOURCE hidden (no macros, no links), lays it out, updates every index (the TOC field
becomes a table of contents with page numbers) and the other fields, and stores TARGET with
the "MS Word 2007 XML" filter. When TARGET.pdf is wanted too, the caller converts TARGET.
Exit 0: TARGET written. Exit 3: no listener. Exit 4: could not load, update or store.
"""
import sys

import uno  # noqa: E402  (python3-uno: only in the system interpreter)

from uno_convert import EXIT_FAILED, EXIT_NO_LISTENER, _connect, _props  # noqa: E402


def main(argv):
    port, source, target = argv[1], argv[2], argv[3]
    desktop = _connect(port, float(argv[5]) if len(argv) > 5 else 1.0)
    if desktop is None:
        print("no LibreOffice listener", file=sys.stderr)
        return EXIT_NO_LISTENER
    load = dict(Hidden=True, MacroExecutionMode=0, UpdateDocMode=0, Password="")
    try:
        doc = desktop.loadComponentFromURL(uno.systemPathToFileUrl(source), "_blank", 0, _props(**load))
    except Exception as exc:
        print(f"cannot open: {type(exc).__name__}: {getattr(exc, 'Message', '') or exc}"[:300], file=sys.stderr)
        return EXIT_FAILED
    if doc is None or not hasattr(doc, "getDocumentIndexes"):
        print("cannot open: not a text document", file=sys.stderr)
        return EXIT_FAILED
    try:
        indexes = doc.getDocumentIndexes()
        # Twice: the first pass may change the length of the TOC itself (and so every page number).
        for _ in range(2):
            for i in range(indexes.getCount()):
                indexes.getByIndex(i).update()
            doc.getTextFields().refresh()
        doc.storeToURL(uno.systemPathToFileUrl(target), _props(FilterName="MS Word 2007 XML"))
    except Exception as exc:
        print(f"cannot update: {type(exc).__name__}: {getattr(exc, 'Message', '') or exc}"[:300], file=sys.stderr)
        return EXIT_FAILED
    finally:
        try:
            doc.close(True)
        except Exception:  # closing a broken document must not hide the result
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
