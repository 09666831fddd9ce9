"""Plotly figures shared by several pages (built here so pages stay thin)."""
from __future__ import annotations


def broadcast_figure(rows: list[dict], labels: dict[str, str]):
    """One column per axis; cells coloured by what happens on that axis (kept, stretched, added, clash)."""
    import plotly.graph_objects as go

    colours = {"keep": 0, "stretch": 1, "new": 2, "clash": 3}
    z, text = [], []
    for who in ("a", "b", "result"):
        zr, tr = [], []
        for r in rows:
            size = r[who]
            if who == "result":
                kind = "keep" if r["ok"] else "clash"
                label = str(size) if r["ok"] else "✗"
            elif size is None:
                kind, label = "new", f"(1→{r['result']})" if r["ok"] else "-"
            elif r[f"{who}_stretches"]:
                kind, label = "stretch", f"{size}→{r['result']}"
            else:
                kind, label = ("keep" if r["ok"] else "clash"), str(size)
            zr.append(colours[kind])
            tr.append(label)
        z.append(zr)
        text.append(tr)
    scale = [[0, "#cfe3ff"], [0.33, "#cfe3ff"], [0.33, "#ffd8a8"], [0.66, "#ffd8a8"], [0.66, "#eeeeee"],
             [0.9, "#eeeeee"], [0.9, "#ffb3b3"], [1, "#ffb3b3"]]
    fig = go.Figure(go.Heatmap(z=z, text=text, texttemplate="%{text}", zmin=0, zmax=3, colorscale=scale,
                               showscale=False, xgap=3, ygap=3, hoverinfo="skip"))
    fig.update_layout(height=200, margin=dict(l=10, r=10, t=30, b=10), title=labels["title"],
                      xaxis=dict(tickvals=list(range(len(rows))), ticktext=[f"{labels['axis']} {r['axis']}"
                                                                            for r in rows]),
                      yaxis=dict(tickvals=[0, 1, 2], ticktext=["a", "b", labels["result"]], autorange="reversed"))
    return fig


def surface_figure(xs, ys, zs, trajectories: dict, log_z: bool, title: str, play: str = "▶"):
    """Contour of the loss surface, one path per optimizer, and a Play button that animates the paths."""
    import numpy as np
    import plotly.graph_objects as go

    z = np.log10(zs - zs.min() + 1e-3) if log_z else zs
    fig = go.Figure(go.Contour(x=xs, y=ys, z=z, colorscale="Viridis", ncontours=30, showscale=False,
                               contours=dict(showlines=False), hoverinfo="skip"))
    for name, traj in trajectories.items():
        fig.add_trace(go.Scatter(x=traj.xs, y=traj.ys, mode="lines+markers", name=name, marker=dict(size=4)))
    for traj in trajectories.values():
        fig.add_trace(go.Scatter(x=[traj.xs[0]], y=[traj.ys[0]], mode="markers", showlegend=False,
                                 marker=dict(size=11, symbol="x", color="white")))
    longest = max(len(tr.xs) for tr in trajectories.values())
    cuts = sorted({max(1, round(longest * k / 40)) for k in range(1, 41)})
    path_traces = list(range(1, 1 + len(trajectories)))
    fig.frames = [go.Frame(data=[go.Scatter(x=tr.xs[:c], y=tr.ys[:c]) for tr in trajectories.values()],
                           traces=path_traces, name=str(c)) for c in cuts]
    fig.update_layout(
        height=480, title=title, margin=dict(l=10, r=10, t=40, b=10), legend=dict(orientation="h"),
        xaxis=dict(range=[xs[0], xs[-1]]), yaxis=dict(range=[ys[0], ys[-1]], scaleanchor="x"),
        updatemenus=[dict(type="buttons", x=0.02, y=0.02, xanchor="left", yanchor="bottom", buttons=[dict(
            label=play, method="animate",
            args=[None, dict(frame=dict(duration=60, redraw=False), transition=dict(duration=0), fromcurrent=False,
                             mode="immediate")])])])
    return fig


def regression_figure(x, y, w: float, b: float, closed: tuple[float, float] | None, labels: dict[str, str]):
    import numpy as np
    import plotly.graph_objects as go

    xs = np.asarray(x).ravel()
    fig = go.Figure(go.Scatter(x=xs, y=np.asarray(y).ravel(), mode="markers", name=labels["data"],
                               marker=dict(size=5, opacity=0.6)))
    line_x = np.array([xs.min(), xs.max()])
    fig.add_trace(go.Scatter(x=line_x, y=w * line_x + b, mode="lines", name=labels["sgd"], line=dict(width=3)))
    if closed is not None:
        fig.add_trace(go.Scatter(x=line_x, y=closed[0] * line_x + closed[1], mode="lines", name=labels["closed"],
                                 line=dict(dash="dash")))
    fig.update_layout(height=360, margin=dict(l=10, r=10, t=10, b=10), legend=dict(orientation="h"))
    return fig


def embedding_map_figure(vecs, query_vec, texts: list[str], is_top: list[bool], labels: dict[str, str]):
    """Chunks, top hits and the query on the first two principal components of the chunk vectors."""
    import numpy as np
    import plotly.graph_objects as go
    from sklearn.decomposition import PCA

    pca = PCA(n_components=2, random_state=0).fit(vecs)
    xy, qxy = pca.transform(vecs), pca.transform(query_vec[None, :])[0]
    top = np.array(is_top)
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=xy[~top, 0], y=xy[~top, 1], mode="markers", name=labels["chunks"],
                             text=[d for d, f in zip(texts, is_top) if not f], marker=dict(size=6, opacity=0.5),
                             hovertemplate="%{text}<extra></extra>"))
    fig.add_trace(go.Scatter(x=xy[top, 0], y=xy[top, 1], mode="markers", name=labels["top"],
                             text=[d for d, f in zip(texts, is_top) if f], marker=dict(size=10),
                             hovertemplate="%{text}<extra></extra>"))
    fig.add_trace(go.Scatter(x=[qxy[0]], y=[qxy[1]], mode="markers", name=labels["query"],
                             marker=dict(size=16, symbol="star")))
    fig.update_layout(height=420, title=labels["title"], margin=dict(l=10, r=10, t=40, b=10))
    return fig
