class Fire(Module):
  __parameters__ = []
  __buffers__ = []
  training : bool
  _is_full_backward_hook : Optional[bool]
  squeeze : __torch__.torch.nn.modules.conv.___torch_mangle_591.Conv2d
  squeeze_activation : __torch__.torch.nn.modules.activation.___torch_mangle_592.ReLU
  expand1x1 : __torch__.torch.nn.modules.conv.___torch_mangle_593.Conv2d
  expand1x1_activation : __torch__.torch.nn.modules.activation.___torch_mangle_594.ReLU
  expand3x3 : __torch__.torch.nn.modules.conv.___torch_mangle_595.Conv2d
  expand3x3_activation : __torch__.torch.nn.modules.activation.___torch_mangle_596.ReLU
  def forward(self: __torch__.torchvision.models.squeezenet.___torch_mangle_597.Fire,
    argument_1: Tensor) -> Tensor:
    expand3x3_activation = self.expand3x3_activation
    expand3x3 = self.expand3x3
    expand1x1_activation = self.expand1x1_activation
    expand1x1 = self.expand1x1
    squeeze_activation = self.squeeze_activation
    squeeze = self.squeeze
    _0 = (squeeze_activation).forward((squeeze).forward(argument_1, ), )
    _1 = (expand1x1_activation).forward((expand1x1).forward(_0, ), )
    _2 = (expand3x3_activation).forward((expand3x3).forward(_0, ), )
    return torch.cat([_1, _2], 1)
