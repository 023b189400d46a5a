class SmallCNN(Module):
  __parameters__ = []
  __buffers__ = []
  training : bool
  _is_full_backward_hook : Optional[bool]
  conv1 : __torch__.torch.nn.modules.conv.___torch_mangle_658.Conv2d
  bn1 : __torch__.torch.nn.modules.batchnorm.___torch_mangle_659.BatchNorm2d
  conv2 : __torch__.torch.nn.modules.conv.___torch_mangle_660.Conv2d
  pool : __torch__.torch.nn.modules.pooling.___torch_mangle_661.AdaptiveAvgPool2d
  fc : __torch__.torch.nn.modules.linear.___torch_mangle_662.Linear
  def forward(self: __torch__.___torch_mangle_663.SmallCNN,
    x: Tensor) -> Tensor:
    fc = self.fc
    pool = self.pool
    conv2 = self.conv2
    bn1 = self.bn1
    conv1 = self.conv1
    _0 = (bn1).forward((conv1).forward(x, ), )
    input = torch.relu(_0)
    input0 = torch.relu((conv2).forward(input, ))
    input1 = torch.flatten((pool).forward(input0, ), 1)
    return (fc).forward(input1, )
