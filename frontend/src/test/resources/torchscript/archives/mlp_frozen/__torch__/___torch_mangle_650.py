class MLP(Module):
  __parameters__ = []
  __buffers__ = []
  def forward(self: __torch__.___torch_mangle_650.MLP,
    x: Tensor) -> Tensor:
    _0 = torch.linear(x, CONSTANTS.c0, CONSTANTS.c1)
    _1 = torch.linear(torch.relu(_0), CONSTANTS.c2, CONSTANTS.c3)
    return _1
