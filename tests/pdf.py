"""A minimal PDF writer for tests that need PDFs of a chosen shape (page counts, streams, bombs)."""
import io


def pdf_file(objs: dict[int, bytes]) -> bytes:
    """The PDF file holding the numbered objects (1 is the catalog), with a correct cross-reference table."""
    out, offsets = io.BytesIO(), []
    out.write(b"%PDF-1.4\n")
    for n in sorted(objs):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % n + objs[n] + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1))
    out.write(b"".join(b"%010d 00000 n \n" % o for o in offsets))
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref))
    return out.getvalue()
