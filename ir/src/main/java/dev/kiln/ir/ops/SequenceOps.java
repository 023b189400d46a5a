package dev.kiln.ir.ops;

import static dev.kiln.ir.OpDef.AttrKind.BOOL;
import static dev.kiln.ir.OpDef.AttrKind.FLOAT;
import static dev.kiln.ir.OpDef.AttrKind.INT;
import static dev.kiln.ir.OpDef.Trait.PURE;

import dev.kiln.ir.Attr;
import dev.kiln.ir.DType;
import dev.kiln.ir.Dim;
import dev.kiln.ir.OpDef;
import dev.kiln.ir.Shape;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.Type;
import java.util.ArrayList;
import java.util.List;

/** Recurrent and attention layers, kept as single ops so later passes can pick kernels for them. */
public final class SequenceOps {
  private SequenceOps() {}

  /**
   * Multi-layer LSTM, as torch.lstm with PyTorch's gate order (i, f, g, o). Operands: x, h0, c0, then per layer
   * and direction w_ih [4H,I], w_hh [4H,H] and, when has_biases, b_ih [4H], b_hh [4H]. Results: output, h_n, c_n.
   *
   * <p>Decomposition, per layer and time step t: {@code gates = x_t W_ih^T + b_ih + h W_hh^T + b_hh};
   * {@code i,f,g,o = chunk(gates, 4)}; {@code c = sigmoid(f)*c + sigmoid(i)*tanh(g)}; {@code h = sigmoid(o)*tanh(c)};
   * the output of a layer is the next layer's input; a reverse direction runs t from last to first and its output
   * is concatenated on the feature dim.
   */
  public static final OpDef LSTM = OpDef.op("nn.lstm")
      .summary("LSTM: %out, %h, %c = nn.lstm(%x, %h0, %c0, %w_ih, %w_hh, %b_ih, %b_hh) {num_layers=1, batch_first=true} : (f32[N,T,64], f32[1,N,64], f32[1,N,64])")
      .operands("x", "h0", "c0", "weights*").attr("num_layers", INT, Attr.of(1L)).attr("has_biases", BOOL, Attr.of(true))
      .attr("bidirectional", BOOL, Attr.of(false)).attr("batch_first", BOOL, Attr.of(false)).attr("dropout", FLOAT, Attr.of(0.0))
      .traits(PURE).rule(c -> {
        TensorType x = LinalgOps.floats(c, 0), h0 = c.rank(1, 3), c0 = c.rank(2, 3);
        if (x.rank() != 3) throw c.fail("input must be 3-D, got " + x.text());
        long layers = c.attrInt("num_layers");
        if (layers <= 0) throw c.fail("num_layers must be positive, got " + layers);
        int dirs = c.attrBool("bidirectional") ? 2 : 1;
        int perLayer = c.attrBool("has_biases") ? 4 : 2;
        long want = layers * dirs * perLayer;
        if (c.numOperands() - 3 != want) throw c.fail("expects " + want + " weight tensors for " + layers + " layers, got " + (c.numOperands() - 3));
        if (!h0.shape().equals(c0.shape())) throw c.fail("h0 " + h0.text() + " and c0 " + c0.text() + " differ");
        LinalgOps.sameDim(c, h0.shape().dim(0), Dim.of(layers * dirs), "h0 " + h0.text() + " needs num_layers * directions = " + layers * dirs + " in dim 0");
        Dim hidden = h0.shape().dim(2);
        LinalgOps.sameDim(c, c.rank(3, 2).shape().dim(1), x.shape().dim(2), "w_ih of layer 0 does not match input features");
        boolean bf = c.attrBool("batch_first");
        Dim hOut = hidden.isStatic() ? Dim.of(hidden.size() * dirs) : Dim.UNKNOWN;
        List<Dim> out = new ArrayList<>(x.shape().dims());
        out.set(2, hOut);
        LinalgOps.sameDim(c, h0.shape().dim(1), x.shape().dim(bf ? 0 : 1), "h0 batch does not match input");
        return List.of(Type.tensor(x.dtype(), Shape.of(out)), h0, c0);
      }).build();

  /**
   * Scaled dot-product attention: softmax(q k^T * scale + mask) v over the last two dims, scale defaulting to
   * 1/sqrt(E). A bool mask is true where attention is allowed; a float mask is added. causal masks j > i.
   */
  public static final OpDef ATTENTION = OpDef.op("nn.attention")
      .summary("scaled dot-product attention: %y = nn.attention(%q, %k, %v, %mask) {causal=false} : f32[N,4,16,32]")
      .operands("q", "k", "v", "mask?").optAttr("scale", FLOAT).attr("causal", BOOL, Attr.of(false)).traits(PURE).rule(c -> {
        TensorType q = LinalgOps.floats(c, 0), k = LinalgOps.floats(c, 1), v = LinalgOps.floats(c, 2);
        if (q.rank() < 2 || k.rank() != q.rank() || v.rank() != q.rank()) throw c.fail("q, k, v need the same rank >= 2");
        LinalgOps.sameDim(c, q.shape().dim(-1), k.shape().dim(-1), "q and k feature dims differ");
        LinalgOps.sameDim(c, k.shape().dim(-2), v.shape().dim(-2), "k and v lengths differ");
        LinalgOps.sameDType(c, q, k);
        LinalgOps.sameDType(c, q, v);
        if (c.has(3)) {
          // The mask broadcasts to the score shape [..., L, S]; bool allows, float is added.
          TensorType m = c.tensor(3);
          if (m.dtype() != DType.BOOL && m.dtype() != q.dtype()) throw c.fail("mask must be bool or " + q.dtype() + ", got " + m.text());
          List<Dim> scores = new ArrayList<>(q.shape().dims());
          scores.set(scores.size() - 1, k.shape().dim(-2));
          Shape s = Shape.of(scores);
          Shape b;
          try {
            b = ShapeRules.broadcast(c, m.shape(), s);
          } catch (dev.kiln.ir.TypeError e) {
            throw c.fail("mask " + m.text() + " does not broadcast to the scores " + s);
          }
          if (b.isRanked() && b.rank() != s.rank()) throw c.fail("mask " + m.text() + " does not broadcast to the scores " + s);
        }
        List<Dim> out = new ArrayList<>(q.shape().dims());
        out.set(out.size() - 1, v.shape().dim(-1));
        return List.of(Type.tensor(q.dtype(), Shape.of(out)));
      }).build();

  public static final List<OpDef> ALL = List.of(LSTM, ATTENTION);
}
