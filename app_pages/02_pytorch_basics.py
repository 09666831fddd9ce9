"""Day 2: tensors, autograd, gradient descent, linear regression — a playground."""
from ui.basics import autograd_tab, gd_tab, linreg_tab, tensor_lab
from ui.widgets import header, tabbed

header("page.basics")
tabbed([("basics.tab.tensors", tensor_lab), ("basics.tab.autograd", autograd_tab), ("basics.tab.gd", gd_tab),
        ("basics.tab.linreg", linreg_tab)])
