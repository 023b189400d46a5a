package dev.kiln.frontend.torchscript.ops;

import static dev.kiln.frontend.torchscript.ops.Args.get;

import dev.kiln.frontend.torchscript.LoweringContext;
import dev.kiln.ir.Attr;
import dev.kiln.ir.Builder;
import dev.kiln.ir.OpDef;
import dev.kiln.ir.Value;
import dev.kiln.ir.ops.LinalgOps;
import dev.kiln.ir.ops.NnOps;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Matrix products, softmax and embedding lookups. */
final class LinalgLowerings {
  private LinalgLowerings() {}

  static void register(Registrar r) {
    r.add((cx, a, kw) -> {
      Args.need(cx, a, 2, "linear(input, weight, bias=None)");
      return linear(cx, cx.tensor(a.get(0), "input"), cx.tensor(a.get(1), "weight"), cx.optionalTensor(get(a, kw, 2, "bias", null), "bias"));
    }, "torch.linear");
    r.add((cx, a, kw) -> binary(cx, a, LinalgOps.MATMUL), "torch.matmul");
    r.add((cx, a, kw) -> binary(cx, a, LinalgOps.MM), "torch.mm");
    r.add((cx, a, kw) -> binary(cx, a, LinalgOps.BMM), "torch.bmm");
    r.add((cx, a, kw) -> scaledProduct(cx, a, kw, LinalgOps.ADDMM), "torch.addmm");
    r.add((cx, a, kw) -> scaledProduct(cx, a, kw, LinalgOps.BADDBMM), "torch.baddbmm");
    r.add((cx, a, kw) -> softmax(cx, a, kw, NnOps.SOFTMAX), "torch.softmax");
    r.add((cx, a, kw) -> softmax(cx, a, kw, NnOps.LOG_SOFTMAX), "torch.log_softmax");
    r.add((cx, a, kw) -> {
      Args.need(cx, a, 2, "embedding(weight, indices, ...)");
      return cx.emit(NnOps.EMBEDDING, Map.of(), cx.tensor(a.get(0), "weight"), cx.tensor(a.get(1), "indices"));
    }, "torch.embedding");
  }

  /** x W^T + b; {@code bias} may be null. */
  static Value linear(LoweringContext cx, Value x, Value w, Value bias) {
    List<Value> ops = new ArrayList<>(List.of(x, w));
    if (bias != null) ops.add(bias);
    return cx.emitMulti(LinalgOps.LINEAR, Map.of(), ops).get(0);
  }

  private static Value binary(LoweringContext cx, List<Object> args, OpDef op) {
    Args.need(cx, args, 2, op.name().substring(3) + "(self, other)");
    return cx.emit(op, Map.of(), cx.tensor(args.get(0), "self"), cx.tensor(args.get(1), "other"));
  }

  /** addmm/baddbmm(input, a, b, beta=1, alpha=1): beta * input + alpha * (a @ b). */
  private static Value scaledProduct(LoweringContext cx, List<Object> args, Map<String, Object> kw, OpDef op) {
    Args.need(cx, args, 3, op.name().substring(3) + "(input, a, b, beta=1, alpha=1)");
    Map<String, Attr> attrs = new LinkedHashMap<>();
    Object beta = get(args, kw, 3, "beta", 1L), alpha = get(args, kw, 4, "alpha", 1L);
    if (!(Args.knownNumber(beta) instanceof Long l && l == 1)) attrs.put("beta", Args.number(cx, beta, "beta"));
    if (!(Args.knownNumber(alpha) instanceof Long l && l == 1)) attrs.put("alpha", Args.number(cx, alpha, "alpha"));
    return cx.emit(op, attrs, cx.tensor(args.get(0), "input"), cx.tensor(args.get(1), "a"), cx.tensor(args.get(2), "b"));
  }

  /** softmax(input, dim, dtype=None): a dtype casts the input first, as PyTorch does. */
  private static Value softmax(LoweringContext cx, List<Object> args, Map<String, Object> kw, OpDef op) {
    Args.need(cx, args, 2, op.name().substring(3) + "(input, dim, dtype=None)");
    Value x = cx.tensor(args.get(0), "input");
    Object dtype = get(args, kw, 2, "dtype", null);
    if (dtype != null) x = ElementwiseLowerings.cast(cx, x, ReduceLowerings.dtypeOf(cx, dtype));
    return cx.emit(op, Builder.attrs("dim", cx.constInt(args.get(1), "dim")), x);
  }
}
