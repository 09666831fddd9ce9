"""Day 1: exploratory data analysis, one step at a time, each step as the exact code that draws it.

Every step is a short pandas / NumPy / Matplotlib snippet. The page shows the snippet and runs that very snippet
(`run_step`), so what the student copies into Colab is what made the chart. Column names taken from an upload
only ever enter a snippet through `repr()`, so a hostile header stays a string literal, never code.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from functools import lru_cache

from core.errors import UserError

TABLES = ("iris", "wine", "breast_cancer", "diabetes", "reviews", "fashion_pixels")
# each step leaves its result in this variable of the snippet
RESULT = {"sample": "sample", "fields": "fields", "missing": "fig", "describe": "stats", "distribution": "fig",
          "correlation": "fig", "pairs": "fig", "outliers": "outliers"}
STEPS = tuple(RESULT)
MAX_ROWS = 200_000
MAX_COLUMNS = 200
FASHION_ROWS = 3000  # per-image statistics of the first N training images: enough for stable histograms
# Korean labels need a CJK font: Noto on Linux/Cloud (apt fonts-noto-cjk), the system fonts on macOS/Windows.
KOREAN_FONTS = ("Noto Sans CJK KR", "NanumGothic", "AppleGothic", "Apple SD Gothic Neo", "Malgun Gothic")


@dataclass
class Table:
    name: str
    df: object            # pandas.DataFrame
    target: str | None    # the class / target column, if any
    load_code: str        # the standalone code that builds `df` (and `target`)


def _sklearn_code(name: str) -> str:
    return (f"from sklearn.datasets import load_{name}\n\n"
            f"df = load_{name}(as_frame=True).frame\n"
            "target = 'target'\n")


def load_code(name: str, reviews_path: str = "data/sentiment_ko_en.csv",
              fashion_root: str = "~/.cache/course-app/datasets") -> str:
    """The standalone code that loads a shipped table into `df`."""
    if name in ("iris", "wine", "breast_cancer", "diabetes"):
        return _sklearn_code(name)
    if name == "reviews":
        return ("import pandas as pd\n\n"
                f"df = pd.read_csv({reviews_path!r})\n"
                "df['length'] = df['text'].str.len()              # characters per review\n"
                "df['words'] = df['text'].str.split().str.len()   # words (spaces) per review\n"
                "target = 'label'\n")
    if name == "fashion_pixels":
        return ("import os\n\nimport numpy as np\nimport pandas as pd\n"
                "from torchvision.datasets import FashionMNIST\n\n"
                f"ds = FashionMNIST(os.path.expanduser({fashion_root!r}), train=True, download=False)\n"
                f"x = ds.data[:{FASHION_ROWS}].numpy().reshape({FASHION_ROWS}, -1) / 255.0   # one row per image\n"
                "df = pd.DataFrame({\n"
                "    'mean': x.mean(axis=1),            # overall brightness\n"
                "    'std': x.std(axis=1),              # contrast\n"
                "    'ink': (x > 0.5).mean(axis=1),     # share of bright pixels\n"
                "    'center': x.reshape(-1, 28, 28)[:, 10:18, 10:18].mean(axis=(1, 2)),\n"
                f"    'label': [ds.classes[i] for i in ds.targets[:{FASHION_ROWS}].tolist()],\n"
                "})\n"
                "target = 'label'\n")
    raise UserError("eda.unknown_table", "unknown table", name=name)


def load_table(name: str, **paths) -> Table:
    """Run the load code of a shipped table, so the page and the student's copy load the same data."""
    code = load_code(name, **paths)
    ns: dict = {}
    try:
        exec(_compiled(code), ns)  # noqa: S102 - our own template; parameters enter through repr()
    except (FileNotFoundError, RuntimeError) as exc:  # a dataset asset that is not prepared
        raise UserError("eda.table_missing", str(exc), name=name) from exc
    return Table(name, ns["df"], ns.get("target"), code)


def from_upload(df, target: str | None = None) -> Table:
    """An uploaded CSV (already decoded by core.text_data.read_csv_bytes) as an EDA table, within limits."""
    if df is None or len(df) == 0 or len(df.columns) == 0:
        raise UserError("text.csv_empty", "the file is empty")
    if len(df) > MAX_ROWS or len(df.columns) > MAX_COLUMNS:
        raise UserError("eda.too_big", "table too big", rows=MAX_ROWS, columns=MAX_COLUMNS)
    df = df.rename(columns=lambda c: str(c))
    if target is not None and target not in df.columns:
        raise UserError("text.no_column", "missing column", columns=", ".join(df.columns))
    code = "import pandas as pd\n\ndf = pd.read_csv('my_data.csv')   # UTF-8; Korean Excel: encoding='cp949'\n"
    code += f"target = {target!r}\n"
    return Table("upload", df, target, code)


def numeric_columns(df, exclude: str | None = None) -> list[str]:
    return [c for c in df.select_dtypes("number").columns if c != exclude]


def nonfinite(df, column: str) -> int:
    """How many +inf/-inf values a numeric column holds (a CSV may say 'inf', or 1e400): they cannot be binned,
    boxed or put in quartiles, so the chart steps leave them out and the page says so, naming the column."""
    import numpy as np

    if column not in df.columns or column not in df.select_dtypes("number").columns:
        return 0
    return int(np.isinf(df[column].to_numpy(dtype=float, na_value=np.nan)).sum())


def korean_font() -> str | None:
    """The first installed font that has Hangul, so Matplotlib titles in Korean don't turn into boxes."""
    from matplotlib import font_manager

    installed = {f.name for f in font_manager.fontManager.ttflist}
    return next((name for name in KOREAN_FONTS if name in installed), None)


def step_code(step: str, table: Table, column: str | None = None, font: str | None = None) -> str:
    """The snippet for one EDA step; it expects `df` and `target` from the table's load code."""
    num = numeric_columns(table.df, exclude=table.target)
    col = column if column in table.df.columns else (num[0] if num else table.df.columns[0])
    if step == "sample":
        return "sample = df.sample(min(5, len(df)), random_state=0)   # a few random rows: what does one look like?\n"
    if step == "fields":
        return ("import pandas as pd\n\n"
                "fields = pd.DataFrame({'dtype': df.dtypes.astype(str), 'non-null': df.notna().sum(),\n"
                "                       'missing': df.isna().sum(), 'unique': df.nunique()})\n")
    if step == "missing":
        return ("import plotly.express as px\n\n"
                "missing = df.isna().mean().mul(100).rename('missing %').reset_index()\n"
                "fig = px.bar(missing, x='index', y='missing %', title='Missing values per column (%)')\n")
    if step == "describe":
        return "stats = df.describe().T   # count, mean, std, min, quartiles, max of every numeric column\n"
    # a column holding inf: the snippet reads it with inf as missing, so the student's copy runs too
    finite = nonfinite(table.df, col) > 0
    values = f"df[{col!r}].replace([np.inf, -np.inf], np.nan)" if finite else f"df[{col!r}]"
    np_line = "import numpy as np\n" if finite else ""
    if step == "distribution":
        title = f"{col} 분포 / distribution"
        font_line = f"plt.rcParams['font.family'] = {font!r}   # a font with Hangul\n" if font else ""
        group_values = f"g[{col!r}].replace([np.inf, -np.inf], np.nan)" if finite else f"g[{col!r}]"
        by = (f"groups = [{group_values}.dropna() for _, g in df.groupby(target)]\n"
              f"axes[1].boxplot(groups, tick_labels=[str(k) for k, _ in df.groupby(target)])\n"
              "axes[1].set_xlabel(target)\n") if table.target and table.target != col else (
              f"axes[1].boxplot({values}.dropna())\n")
        return ("import matplotlib\nmatplotlib.use('Agg')\nimport matplotlib.pyplot as plt\n" + np_line + "\n"
                f"{font_line}plt.rcParams['axes.unicode_minus'] = False\n"
                "fig, axes = plt.subplots(1, 2, figsize=(10, 3.5))\n"
                f"axes[0].hist({values}.dropna(), bins=30, color='#4c78a8')\n"
                f"axes[0].set_title({title!r})\n" + by +
                f"axes[1].set_title({col!r} + ' box')\n"
                "fig.tight_layout()\n")
    if step == "correlation":
        return ("import plotly.express as px\n\n"
                "corr = df.select_dtypes('number').corr()\n"
                "fig = px.imshow(corr, text_auto='.2f', color_continuous_scale='RdBu_r', zmin=-1, zmax=1,\n"
                "                title='Correlation (Pearson)')\n")
    if step == "pairs":
        cols = num[:4]
        color = ", color=df[target].astype(str)" if table.target else ""
        return ("import plotly.express as px\n\n"
                f"fig = px.scatter_matrix(df, dimensions={cols!r}{color})\n"
                "fig.update_traces(diagonal_visible=False, marker=dict(size=3))\n")
    if step == "outliers":
        return (f"{np_line}s = {values}{'   # inf counts as missing' if finite else ''}\n"
                "q1, q3 = s.quantile(0.25), s.quantile(0.75)\n"
                "low, high = q1 - 1.5 * (q3 - q1), q3 + 1.5 * (q3 - q1)   # Tukey's fences\n"
                "outliers = df[(s < low) | (s > high)]\n")
    raise UserError("eda.unknown_step", "unknown step", step=step)


@lru_cache(maxsize=256)
def _compiled(code: str):
    return compile(code, "<eda>", "exec")


def run_step(code: str, table: Table) -> dict:
    """Run a step's snippet on the table; returns its namespace (sample, fields, stats, fig, corr, outliers...)."""
    import numpy as np
    import pandas as pd

    ns = {"df": table.df, "target": table.target, "pd": pd, "np": np}
    exec(_compiled(code), ns)  # noqa: S102 - our own template; column names enter through repr()
    return ns


def iqr_bounds(values) -> tuple[float, float]:
    """Tukey's fences, the same rule as the outliers snippet (inf counts as missing there too)."""
    import numpy as np

    values = np.asarray(values, dtype=float)
    q1, q3 = np.nanquantile(np.where(np.isinf(values), np.nan, values), [0.25, 0.75])
    return float(q1 - 1.5 * (q3 - q1)), float(q3 + 1.5 * (q3 - q1))


# NumPy corner ---------------------------------------------------------------------------------------------------
NUMPY_MAX = 2_000_000


def loop_vs_vector(n: int, repeat: int = 3) -> dict:
    """Sum of squares of n numbers: a Python loop against NumPy's vectorised dot, timed now on this machine."""
    import numpy as np

    if not 1 <= n <= NUMPY_MAX:
        raise UserError("eda.n_range", "n out of range", low=1, high=NUMPY_MAX)
    x = np.random.default_rng(0).random(n)
    values = x.tolist()

    def loop():
        total = 0.0
        for v in values:
            total += v * v
        return total

    def vector():
        return float(np.sum(x * x))

    def best(fn):
        times = []
        for _ in range(repeat):
            start = time.perf_counter()
            result = fn()
            times.append(time.perf_counter() - start)
        return min(times), result

    t_loop, r_loop = best(loop)
    t_vec, r_vec = best(vector)
    return {"n": n, "loop_s": t_loop, "vector_s": t_vec, "speedup": t_loop / max(t_vec, 1e-9),
            "same": bool(np.isclose(r_loop, r_vec, rtol=1e-9))}


NUMPY_SNIPPETS = {
    "create": "import numpy as np\n\na = np.arange(12).reshape(3, 4)\nz = np.zeros((2, 3))\n"
              "l = np.linspace(0, 1, 5)\nr = np.random.default_rng(0).normal(size=(2, 2))\n",
    "index": "import numpy as np\n\na = np.arange(12).reshape(3, 4)\nrow = a[1]            # second row\n"
             "col = a[:, 2]         # third column\nbig = a[a > 6]        # boolean mask\n"
             "pick = a[[0, 2], [1, 3]]   # fancy indexing: (0,1) and (2,3)\n",
    "broadcast": "import numpy as np\n\ncol = np.arange(3).reshape(3, 1)   # shape (3, 1)\n"
                 "row = np.arange(4).reshape(1, 4)   # shape (1, 4)\ngrid = col * 10 + row             # (3, 4)\n",
}


def run_numpy(name: str) -> dict:
    """Run one NumPy snippet; returns its arrays by name (what the page prints with their shapes)."""
    import numpy as np

    ns: dict = {}
    exec(_compiled(NUMPY_SNIPPETS[name]), ns)  # noqa: S102
    return {k: v for k, v in ns.items() if isinstance(v, np.ndarray)}
