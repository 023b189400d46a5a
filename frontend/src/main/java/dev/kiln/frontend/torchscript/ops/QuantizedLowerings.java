package dev.kiln.frontend.torchscript.ops;

import static dev.kiln.frontend.torchscript.ops.Args.get;

import dev.kiln.frontend.archive.PyTuple;
import dev.kiln.frontend.torchscript.LoweringContext;
import dev.kiln.frontend.torchscript.PackedLinearParams;
import dev.kiln.ir.Builder;
import dev.kiln.ir.DType;
import dev.kiln.ir.Value;
import dev.kiln.ir.ops.QuantOps;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Quantized ops: what torch.quantization.quantize_dynamic leaves in an archive ({@code ops.quantized.linear_dynamic}
 * with its packed params, {@code linear_prepack}, {@code linear_unpack}) and the tensor-level quantize and
 * dequantize calls. Static quantization is in {@link StaticQuantLowerings}, QAT fake quantization in
 * {@link FakeQuantLowerings}.
 *
 * <p>{@code reduce_range} of linear_dynamic is accepted and ignored: under the qnnpack engine (the one this PyTorch
 * build runs, and whose results the fixtures hold) PyTorch ignores it too and quantizes activations to [0,255].
 */
final class QuantizedLowerings {
  private QuantizedLowerings() {}

  static void register(Registrar r) {
    r.add((cx, a, kw) -> {
      Args.need(cx, a, 2, "linear_dynamic(input, packed_params, reduce_range=False)");
      get(a, kw, 2, "reduce_range", false); // see the class comment
      PackedLinearParams.Packed p = PackedLinearParams.values(cx, a.get(1));
      List<Value> ops = new ArrayList<>(List.of(cx.tensor(a.get(0), "input"), p.weight()));
      if (p.bias() != null) ops.add(p.bias());
      return cx.emitMulti(QuantOps.LINEAR_DYNAMIC, Map.of(), ops).get(0);
    }, "ops.quantized.linear_dynamic");
    r.add((cx, a, kw) -> {
      Args.need(cx, a, 1, "linear_prepack(weight, bias=None)");
      return PackedLinearParams.pack(cx, cx.tensor(a.get(0), "weight"), cx.optionalTensor(get(a, kw, 1, "B", null), "bias"));
    }, "ops.quantized.linear_prepack");
    r.add((cx, a, kw) -> {
      Args.need(cx, a, 1, "linear_unpack(packed_params)");
      PackedLinearParams.Packed p = PackedLinearParams.values(cx, a.get(0));
      return PyTuple.of(p.weight(), p.bias());
    }, "ops.quantized.linear_unpack");
    r.add((cx, a, kw) -> {
      Args.need(cx, a, 4, "quantize_per_tensor(input, scale, zero_point, dtype)");
      DType d = qdtype(cx, a.get(3));
      // Scale and zero point may be buffers (QuantStub's float(self.scale), FX's self._input_scale_0): read them.
      return cx.emit(QuantOps.QUANTIZE_PER_TENSOR, Builder.attrs("scale", StaticQuantLowerings.knownFloat(cx, a.get(1), "scale"),
          "zero_point", StaticQuantLowerings.knownInt(cx, a.get(2), "zero_point"), "dtype", d), cx.tensor(a.get(0), "input"));
    }, "torch.quantize_per_tensor");
    StaticQuantLowerings.register(r);
    FakeQuantLowerings.register(r);
    QuantizedLstmLowering.register(r);
    r.add((cx, a, kw) -> {
      Args.need(cx, a, 1, "dequantize(input)");
      return cx.emit(QuantOps.DEQUANTIZE, Map.of(), cx.tensor(a.get(0), "input"));
    }, "torch.dequantize");
    r.add((cx, a, kw) -> {
      Args.need(cx, a, 1, "int_repr(input)");
      return cx.emit(QuantOps.INT_REPR, Map.of(), cx.tensor(a.get(0), "input"));
    }, "torch.int_repr");
  }

  /** A quantized ScalarType code: 12 qint8, 13 quint8, 14 qint32. */
  private static DType qdtype(LoweringContext cx, Object code) {
    DType d = ScalarTypes.dtype(cx.constInt(code, "dtype"));
    if (d == null || !d.isQuantized()) throw cx.fail("dtype must be torch.qint8, torch.quint8 or torch.qint32, got " + code);
    return d;
  }
}
