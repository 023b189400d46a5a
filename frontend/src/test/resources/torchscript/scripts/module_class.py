class Net(Module):
  __parameters__ = ["weight", "bias", ]
  __buffers__ = ["running_mean", ]
  training : bool
  _is_full_backward_hook : Optional[bool]
  weight : Tensor
  bias : Optional[Tensor]
  running_mean : Tensor
  sizes : List[int]
  pair : Tuple[int, float]
  nothing : Tuple[()]
  table : Dict[str, Tensor]
  none_attr : NoneType
  fc : __torch__.torch.nn.modules.linear.___torch_mangle_3.Linear
  eps : Final[float] = 1.0000000000000001e-05
  channels : Final[int] = 64
  __annotations__["0"] = __torch__.torch.nn.modules.conv.___torch_mangle_47.Conv2d
  def forward(self: __torch__.test.Net,
    x: Tensor,
    scale: float=1.,
    mask: Optional[Tensor]=None) -> Tuple[Tensor, Tensor]:
    _0 = __torch__.torch.nn.functional.relu
    fc = self.fc
    x0 = (fc).forward(x, )
    conv = getattr(self, "0")
    x1 = (conv).forward(x0, )
    if torch.__is__(mask, None):
      x2 = x1
    else:
      mask0 = unchecked_cast(Tensor, mask)
      x2 = torch.mul(x1, mask0)
    h, c = torch.lstm(x2, [x1, x1], [self.weight], True, 2, 0., False, False, True)
    out = torch.add(h, CONSTANTS.c0, alpha=1)
    _1 = ops.prim.RaiseException("Exception", "builtins.ValueError")
    return (_0(out, False, ), c)
class Empty(Module):
  pass
