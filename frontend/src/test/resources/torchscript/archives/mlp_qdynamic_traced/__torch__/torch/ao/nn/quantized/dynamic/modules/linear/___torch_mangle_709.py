class Linear(Module):
  __parameters__ = []
  __buffers__ = []
  training : bool
  _is_full_backward_hook : Optional[bool]
  _packed_params : __torch__.torch.ao.nn.quantized.modules.linear.___torch_mangle_708.LinearPackedParams
  def forward(self: __torch__.torch.ao.nn.quantized.dynamic.modules.linear.___torch_mangle_709.Linear,
    argument_1: Tensor) -> Tensor:
    _packed_params = self._packed_params
    _packed_params0 = _packed_params._packed_params
    Y = ops.quantized.linear_dynamic(argument_1, _packed_params0, True)
    return torch.to(Y, 6)
