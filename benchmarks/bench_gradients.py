"""Gradient explainers: skexplain vs captum vs the bare forward+backward limit.

Cases (as in ../shared/anchors/04_captum.py and gpu_captum.py, random init,
``torch.manual_seed(0)``):

* CPU: MLP 30-64-64-2 on 256 standardised breast-cancer rows (target 1) and
  CNN conv16-conv32-maxpool-fc on 32 random 3x32x32 images (predicted class);
* GPU (only with CUDA): MLP 30-256-256-2 with 4096 rows, the same CNN with 256
  images, and ResNet-18 (torchvision's, or an equivalent built here) with 32
  images at 224x224.

For every method the table gives median milliseconds per call for skexplain
(the full ``explain``: validation, target, delta, numpy Explanation) and
captum, and their ratios (of medians, and of minimum times: the minimum is
less sensitive to other processes on a shared machine).  For
IntegratedGradients (50 Gauss-Legendre steps, zero baseline) and
ExpectedGradients (20 samples; captum's GradientShap) it also gives the
*limit*: one plain forward+backward over all n_steps x batch rows with the
weighted reduction, which no method using that many gradients can beat.
Goals: IG within 1.2x of the limit, never slower than captum.  All methods of
a case are timed in turn in each round, so machine load affects them alike.

Image cases (inputs with spatial axes) also time GradCAM against captum's
``LayerGradCam(relu_attributions=True)`` followed by
``LayerAttribution.interpolate(..., "bilinear")``, and GuidedGradCAM against
captum's ``GuidedGradCam(interpolate_mode="bilinear")``, on the layer
skexplain chooses (the last conv layer, or the last residual stage).  Their
limit is one plain forward+backward of the same batch to the input.  Goal:
GradCAM within 1.2x of that limit and not slower than captum (GuidedGradCAM
needs a Grad-CAM pass and a guided-backprop pass: about 2x the limit).  On the
CPU the image cases are the CNN and a small ResNet-style net (3 stages of two
BasicBlocks, 16-32-64 channels, 32 images at 32x32) built here.

Run:  python benchmarks/bench_gradients.py [--device cpu|cuda|all] [--repeats 7]
                                            [--cases MLP CNN ResNet] [--methods GradCAM]
                                            [--json out.json]
"""
import argparse
import json
import statistics
import sys
import time
import warnings

import numpy as np
import torch
from torch import nn

from skexplain import (DeepLIFT, ExpectedGradients, GradCAM, GradientXInput, GuidedBackprop,
                       GuidedGradCAM, IntegratedGradients, Saliency)

N_STEPS, N_SAMPLES = 50, 20


# ----------------------------------------------------------------- models
def make_mlp(hidden):
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(30, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU(),
                         nn.Linear(hidden, 2)).eval()


def make_cnn():
    torch.manual_seed(0)
    return nn.Sequential(nn.Conv2d(3, 16, 3, padding=1), nn.ReLU(),
                         nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(),
                         nn.MaxPool2d(2), nn.Flatten(), nn.Linear(32 * 16 * 16, 10)).eval()


class _Block(nn.Module):
    """ResNet BasicBlock (one ReLU module called twice, as in torchvision)."""

    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.relu = nn.ReLU()
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.down = None if stride == 1 and cin == cout else nn.Sequential(
            nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        out = self.bn2(self.conv2(self.relu(self.bn1(self.conv1(x)))))
        return self.relu(out + (x if self.down is None else self.down(x)))


def make_resnet18():
    torch.manual_seed(0)
    try:
        import torchvision

        model = torchvision.models.resnet18(weights=None)
    except ImportError:
        stages = [_Block(64, 64, 1), _Block(64, 64, 1)]
        for cin, cout in ((64, 128), (128, 256), (256, 512)):
            stages += [_Block(cin, cout, 2), _Block(cout, cout, 1)]
        model = nn.Sequential(nn.Conv2d(3, 64, 7, 2, 3, bias=False), nn.BatchNorm2d(64),
                              nn.ReLU(), nn.MaxPool2d(3, 2, 1), *stages,
                              nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(512, 1000))
    for m in model.modules():  # as the anchor: captum's hooks reject in-place ReLUs
        if isinstance(m, nn.ReLU):
            m.inplace = False
    return model.eval()


def make_small_resnet():
    """A ResNet-style net for 32x32 images: 3 stages of two BasicBlocks, 16-32-64."""
    torch.manual_seed(0)
    stages = [_Block(16, 16, 1), _Block(16, 16, 1), _Block(16, 32, 2), _Block(32, 32, 1),
              _Block(32, 64, 2), _Block(64, 64, 1)]
    return nn.Sequential(nn.Conv2d(3, 16, 3, 1, 1, bias=False), nn.BatchNorm2d(16), nn.ReLU(),
                         *stages, nn.AdaptiveAvgPool2d(1), nn.Flatten(),
                         nn.Linear(64, 10)).eval()


def cases(device):
    if device == "cpu":
        from sklearn.datasets import load_breast_cancer
        from sklearn.preprocessing import StandardScaler

        X = StandardScaler().fit_transform(load_breast_cancer().data)
        X = torch.tensor(X[:256], dtype=torch.float32)
        g = torch.Generator().manual_seed(0)
        yield "MLP 30-64-64-2", make_mlp(64), X, 1
        yield "CNN c16-c32-pool-fc", make_cnn(), torch.randn(32, 3, 32, 32, generator=g), None
        yield ("ResNet-style 16-32-64", make_small_resnet(),
               torch.randn(32, 3, 32, 32, generator=g), None)
        return
    g = torch.Generator().manual_seed(0)
    yield "MLP 30-256-256-2", make_mlp(256), torch.randn(4096, 30, generator=g), None
    yield "CNN c16-c32-pool-fc", make_cnn(), torch.randn(256, 3, 32, 32, generator=g), None
    yield "ResNet-18 224", make_resnet18(), torch.randn(32, 3, 224, 224, generator=g), None


# ----------------------------------------------------------------- timing
def limit(model, x, base, target, n_steps):
    """One forward+backward over n_steps x batch rows plus the weighted reduction."""
    nodes, weights = np.polynomial.legendre.leggauss(n_steps)
    alphas = torch.tensor(0.5 * (nodes + 1), dtype=x.dtype, device=x.device)
    weights = torch.tensor(0.5 * weights, dtype=x.dtype, device=x.device)
    shape = (n_steps,) + (1,) * x.dim()
    points = (base + alphas.view(shape) * (x - base)).reshape(-1, *x.shape[1:])
    points.requires_grad_(True)
    out = model(points)
    selected = out.gather(1, target.repeat(n_steps)[:, None]).sum()
    (grads,) = torch.autograd.grad(selected, points)
    return (weights.view(shape) * grads.reshape(n_steps, *x.shape)).sum(0) * (x - base)


def one_pass(model, x, target):
    """One plain forward+backward of the batch to the input (the Grad-CAM limit)."""
    x = x.detach().requires_grad_(True)
    selected = model(x).gather(1, target[:, None]).sum()
    return torch.autograd.grad(selected, x)[0]


def cam_pairs(model, x, target):
    """(name, skexplain callable, captum callable) for GradCAM and GuidedGradCAM."""
    import captum.attr as ca

    t_list = target.tolist()
    gc = GradCAM(model).fit(x[:2])
    ggc = GuidedGradCAM(model).fit(x[:2])
    layer = dict(model.named_modules())[gc.layer_]  # the same layer for captum

    def captum_gradcam():
        maps = ca.LayerGradCam(model, layer).attribute(x, target=target,
                                                       relu_attributions=True)
        return ca.LayerAttribution.interpolate(maps, tuple(x.shape[2:]), "bilinear")

    return [
        (f"GradCAM [{gc.layer_}]", lambda: gc.explain(x, target=t_list), captum_gradcam),
        (f"GuidedGradCAM [{gc.layer_}]", lambda: ggc.explain(x, target=t_list),
         lambda: ca.GuidedGradCam(model, layer).attribute(x, target=target,
                                                          interpolate_mode="bilinear")),
    ]


def interleaved(fns, repeats, sync):
    """Median and min seconds of each callable, timed in turn over ``repeats`` rounds."""
    for fn in fns.values():
        fn()  # warm-up (and cudnn autotuning)
    times = {name: [] for name in fns}
    for _ in range(repeats):
        for name, fn in fns.items():
            sync()
            start = time.perf_counter()
            fn()
            sync()
            times[name].append(time.perf_counter() - start)
    return {name: (statistics.median(ts), min(ts)) for name, ts in times.items()}


def method_pairs(model, x, target, refs):
    """(name, skexplain callable, captum callable or an error string)."""
    import captum.attr as ca

    base = torch.zeros_like(x[:1])
    t_list = target.tolist()
    ig = IntegratedGradients(model, n_steps=N_STEPS).fit(base)
    eg = ExpectedGradients(model, n_samples=N_SAMPLES, random_state=0).fit(refs)
    pairs = [
        ("IntegratedGradients(50)", lambda: ig.explain(x, target=t_list),
         lambda: ca.IntegratedGradients(model).attribute(x, torch.zeros_like(x), target=target,
                                                         n_steps=N_STEPS)),
        ("ExpectedGradients(20) vs GradientShap(20)", lambda: eg.explain(x, target=t_list),
         lambda: ca.GradientShap(model).attribute(x, refs, target=target, n_samples=N_SAMPLES)),
    ]
    for ours, theirs in ((Saliency(model, abs=True), ca.Saliency),
                         (GradientXInput(model), ca.InputXGradient),
                         (GuidedBackprop(model), ca.GuidedBackprop)):
        fitted = ours.fit(base)
        pairs.append((type(ours).__name__, lambda f=fitted: f.explain(x, target=t_list),
                      lambda c=theirs: c(model).attribute(x, target=target)))
    dl = DeepLIFT(model).fit(base)
    pairs.append(("DeepLIFT", lambda: dl.explain(x, target=t_list),
                  lambda: ca.DeepLift(model).attribute(x, torch.zeros_like(x), target=target)))
    return pairs


def bench_case(name, model, x, target, device, repeats, methods=None):
    model, x = model.to(device), x.to(device)
    with torch.no_grad():
        target = model(x).argmax(1) if target is None else torch.full(
            (len(x),), target, device=device)
    refs = torch.randn((16,) + tuple(x.shape[1:]), generator=torch.Generator().manual_seed(1))
    refs = refs.to(device)
    sync = torch.cuda.synchronize if device == "cuda" else (lambda: None)
    zero = torch.zeros_like(x[0])
    fns = {"limit IG": lambda: limit(model, x, zero, target, N_STEPS),
           "limit EG": lambda: limit(model, x, zero, target, N_SAMPLES)}
    pairs = method_pairs(model, x, target, refs)
    if x.dim() > 2:  # image inputs: the CAM family and its limit
        fns["limit 1 pass"] = lambda: one_pass(model, x, target)
        pairs += cam_pairs(model, x, target)
    if methods is not None:  # only these methods, and only the limits they need
        pairs = [p for p in pairs if any(word in p[0] for word in methods)]
        needed = {"limit IG": "Integrated", "limit EG": "Expected", "limit 1 pass": "GradCAM"}
        for key, prefix in needed.items():
            if key in fns and not any(prefix in p[0] for p in pairs):
                del fns[key]
    errors = {}
    for method, ours, theirs in pairs:
        fns[("skx", method)] = ours
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                theirs()
            fns[("captum", method)] = theirs
        except Exception as exc:  # captum's DeepLift rejects reused modules
            errors[method] = f"{type(exc).__name__}: {str(exc)[:60]}"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        med = interleaved(fns, repeats, sync)
    rows = []
    for method in dict.fromkeys(m for (_, m) in (k for k in fns if isinstance(k, tuple))):
        ours, theirs = med[("skx", method)], med.get(("captum", method), (None, None))
        lim = med["limit IG"] if method.startswith("Integrated") else (
            med["limit EG"] if method.startswith("Expected") else (
                med["limit 1 pass"] if "GradCAM" in method else (None, None)))
        ratio = lambda a, b, i: None if b[i] is None else a[i] / b[i]  # noqa: E731
        ms = lambda t, i: None if t[i] is None else 1e3 * t[i]  # noqa: E731
        rows.append(dict(case=name, batch=len(x), method=method, skx_ms=ms(ours, 0),
                         captum_ms=ms(theirs, 0), limit_ms=ms(lim, 0),
                         skx_over_captum=ratio(ours, theirs, 0),
                         skx_over_limit=ratio(ours, lim, 0),
                         min_skx_over_captum=ratio(ours, theirs, 1),
                         min_skx_over_limit=ratio(ours, lim, 1),
                         note=errors.get(method, "")))
    return rows


def print_table(rows):
    cols = ["case", "batch", "method", "skx_ms", "captum_ms", "limit_ms", "skx_over_captum",
            "skx_over_limit", "min_skx_over_captum", "min_skx_over_limit", "note"]
    fmt = lambda v: "-" if v is None else (f"{v:.4g}" if isinstance(v, float) else str(v))  # noqa
    table = [[fmt(r[c]) for c in cols] for r in rows]
    widths = [max(len(c), *(len(t[i]) for t in table)) for i, c in enumerate(cols)]
    print(" | ".join(c.ljust(w) for c, w in zip(cols, widths)))
    print("-|-".join("-" * w for w in widths))
    for t in table:
        print(" | ".join(v.ljust(w) for v, w in zip(t, widths)))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--device", choices=["cpu", "cuda", "all"], default="all")
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--methods", nargs="+", default=None,
                        help="time only the methods whose name contains one of these words")
    parser.add_argument("--cases", nargs="+", default=["MLP", "CNN", "ResNet"],
                        help="run the cases whose name contains one of these words")
    parser.add_argument("--json", default=None, help="also write the rows to this file")
    args = parser.parse_args(argv)
    torch.set_num_threads(2)  # as the anchors
    devices = ["cpu", "cuda"] if args.device == "all" else [args.device]
    if "cuda" in devices and not torch.cuda.is_available():
        print("CUDA is not available: skipping the GPU cases.", file=sys.stderr)
        devices.remove("cuda")
    torch.backends.cudnn.benchmark = True
    rows = []
    for device in devices:
        for name, model, x, target in cases(device):
            if not any(word in name for word in args.cases):
                continue
            rows += [dict(r, device=device) for r in
                     bench_case(name, model, x, target, device, args.repeats,
                                args.methods)]
            print(f"[{device}] {name} done", file=sys.stderr, flush=True)
    print_table(rows)
    if args.json:
        with open(args.json, "w") as fh:
            json.dump({"torch": torch.__version__, "rows": rows}, fh, indent=1)


if __name__ == "__main__":
    main()
