class ControlFlow(Module):
  __parameters__ = []
  __buffers__ = []
  def forward(self: __torch__.___torch_mangle_703.ControlFlow,
    x: Tensor) -> Tensor:
    y = torch.linear(x, CONSTANTS.c0, CONSTANTS.c1)
    if bool(torch.gt(torch.sum(y), 0)):
      y0 = torch.mul(y, 2.)
    else:
      y0 = torch.sub(y, 1.)
    y1 = torch.add(y0, 1.)
    y2 = torch.add(y1, 2.)
    y3 = torch.add(y2, 3.)
    y4 = torch.add(y3, 4.)
    y5 = torch.add(y4, 5.)
    y6 = torch.add(y5, 6.)
    return torch.add(y6, 7.)
