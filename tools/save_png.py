"""save_png(fig, path, dpi): writes a matplotlib figure as PNG atomically.

The PNG is written beside its target under a temporary name and then renamed over it, so a
reader never sees half a file and an interrupted run leaves the previous plot in place — the
same rule as the CSVs and checkpoints the C++ side writes (tensor/atomic_file.h).
"""
import os


def save_png(fig, path, dpi):
    path = os.fspath(path)
    temporary = f"{path}.tmp{os.getpid()}"
    try:
        fig.savefig(temporary, dpi=dpi, format="png")
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.remove(temporary)
        raise
