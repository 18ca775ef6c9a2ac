import numpy as np
import pytest

torch = pytest.importorskip("torch")
nn = torch.nn

from skexplain import IntegratedGradients, Saliency  # noqa: E402
from skexplain.plotting import ImageDisplay, ImageGridDisplay  # noqa: E402


def cnn():
    torch.manual_seed(0)
    return nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(2),
                         nn.Flatten(), nn.Linear(16, 3)).eval()


def images(n=4):
    return np.random.RandomState(0).uniform(size=(n, 3, 8, 8)).astype(np.float32)


def test_explainer_plot_image_shows_the_gradient_map_over_the_input(pyplot):
    X = images()
    explainer = Saliency(cnn()).fit(X)
    disp = explainer.plot(X, kind="image", index=2, mode="abs", target=1)
    assert isinstance(disp, ImageDisplay)
    e = explainer.explain(X, target=1)
    np.testing.assert_allclose(disp.heatmap_.get_array(), np.abs(e.values[2]).sum(axis=0))
    x = X[2].transpose(1, 2, 0)
    np.testing.assert_allclose(disp.image_.get_array(), (x - x.min()) / (x.max() - x.min()),
                               rtol=1e-6)
    assert disp.ax_.get_title() == "row 2 (output_1)"


def test_grid_of_two_gradient_methods_labels_rows_by_their_target(pyplot):
    X, model = images(), cnn()
    assert model(torch.as_tensor(X)).argmax(1).tolist() == [1, 1, 1, 1]
    expl = {"Saliency": Saliency(model).fit(X).explain(X),
            "IntegratedGradients": IntegratedGradients(model).fit(X).explain(X)}
    disp = ImageGridDisplay.from_explanations(expl, rows=[0, 3])
    assert disp.axes_.shape == (2, 3)
    assert [ax.get_title() for ax in disp.axes_[0]] == ["input", "Saliency",
                                                         "IntegratedGradients"]
    # one predicted class for every row: the explanation names its output
    assert [ax.get_ylabel() for ax in disp.axes_[:, 0]] == ["output_1", "output_1"]
    np.testing.assert_allclose(disp.heatmaps_[1, 1].get_array(),
                               np.abs(expl["IntegratedGradients"].values[3]).sum(axis=0))
    target = [0, 1, 2, 2]
    expl = {"Saliency": Saliency(model).fit(X).explain(X, target=target)}
    disp = ImageGridDisplay.from_explanations(expl, rows=[0, 3])
    assert [ax.get_ylabel() for ax in disp.axes_[:, 0]] == ["row 0: target 0",
                                                            "row 3: target 2"]
