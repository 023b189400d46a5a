package dev.kiln.ir.ops;

import static dev.kiln.ir.ops.OpCase.bad;
import static dev.kiln.ir.ops.OpCase.ok;

import dev.kiln.ir.Attr;
import java.util.List;

/** Type-rule rows for reductions (ReduceOps) and recurrent/attention layers (SequenceOps). */
final class ReduceSequenceOpCases {
  private ReduceSequenceOpCases() {}

  private static long[] l(long... v) { return v; }

  // One-layer LSTM over x [T=5, N=3, I=10] with hidden size 20: w_ih [80,10], w_hh [80,20], b_ih, b_hh [80].
  private static final String LSTM_WEIGHTS = "f32[80,10], f32[80,20], f32[80], f32[80]";

  static List<OpCase> cases() {
    return List.of(
        ok("nn.mean", "f32[N,64,7,7]", "f32[N,64,1,1]", "dims", l(2, 3), "keepdim", true),
        ok("nn.mean", "f32[N,64,7,7]", "f32[N,64,7]", "dims", l(-1)),
        ok("nn.mean", "f32[2,3]", "f32[]"),
        ok("nn.mean", "f64[]", "f64[]", "dims", l(0)),
        bad("nn.mean", "i64[4]", "mean needs a floating-point input, got i64[4]"),
        bad("nn.mean", "f32[2,3,4]", "dim 1 listed twice", "dims", l(1, -2)),
        bad("nn.mean", "f32[2,3]", "dim 2 is out of range for rank 2", "dims", l(2)),

        // Integer and bool sums widen to i64, as torch.sum does.
        ok("nn.sum", "i32[2,3]", "i64[2]", "dims", l(1)),
        ok("nn.sum", "bool[4]", "i64[]"),
        ok("nn.sum", "f16[2,3]", "f16[1,1]", "keepdim", true),
        ok("nn.sum", "f32[]", "f32[]", "dims", l(-1)),
        bad("nn.sum", "f32[]", "dim 1 is out of range for rank 0", "dims", l(1)),
        bad("nn.sum", "f32[*]", "needs a known rank, got f32[*]"),

        ok("nn.amax", "i32[2,3]", "i32[3]", "dims", l(0)),
        ok("nn.amax", "f32[N,3]", "f32[N,1]", "dims", l(1), "keepdim", true),
        bad("nn.amax", "f32[2,3]", "dim -3 is out of range for rank 2", "dims", l(-3)),

        ok("nn.argmax", "f32[N,10]", "i64[N]", "dim", 1),
        ok("nn.argmax", "f32[N,10]", "i64[N,1]", "dim", -1, "keepdim", true),
        ok("nn.argmax", "f32[N,10]", "i64[]"),
        ok("nn.argmax", "f32[N,10]", "i64[1,1]", "keepdim", true),
        bad("nn.argmax", "f32[N,10]", "dim 2 is out of range for rank 2", "dim", 2),

        ok("nn.lstm", "f32[5,3,10], f32[1,3,20], f32[1,3,20], " + LSTM_WEIGHTS, "(f32[5,3,20], f32[1,3,20], f32[1,3,20])"),
        ok("nn.lstm", "f32[3,5,10], f32[1,3,20], f32[1,3,20], " + LSTM_WEIGHTS, "(f32[3,5,20], f32[1,3,20], f32[1,3,20])",
            "batch_first", true),
        ok("nn.lstm", "f32[T,N,10], f32[2,N,20], f32[2,N,20], f32[80,10], f32[80,20], f32[80,10], f32[80,20]",
            "(f32[T,N,40], f32[2,N,20], f32[2,N,20])", "bidirectional", true, "has_biases", false),
        bad("nn.lstm", "f32[5,3,10], f32[1,3,20], f32[1,3,20], f32[80,10], f32[80,20]", "expects 4 weight tensors for 1 layers, got 2"),
        bad("nn.lstm", "f32[5,3,12], f32[1,3,20], f32[1,3,20], " + LSTM_WEIGHTS, "w_ih of layer 0 does not match input features: 10 vs 12"),
        bad("nn.lstm", "f32[5,3,10], f32[2,3,20], f32[2,3,20], " + LSTM_WEIGHTS, "needs num_layers * directions = 1 in dim 0"),
        bad("nn.lstm", "f32[5,3,10], f32[1,3,20], f32[1,3,30], " + LSTM_WEIGHTS, "h0 f32[1,3,20] and c0 f32[1,3,30] differ"),
        bad("nn.lstm", "f32[5,3,10], f32[1,4,20], f32[1,4,20], " + LSTM_WEIGHTS, "h0 batch does not match input: 4 vs 3"),
        bad("nn.lstm", "f32[5,3,10], f32[1,3,20], f32[1,3,20]", "num_layers must be positive, got 0", "num_layers", 0),

        ok("nn.attention", "f32[N,4,16,32], f32[N,4,20,32], f32[N,4,20,64]", "f32[N,4,16,64]"),
        ok("nn.attention", "f32[N,4,16,32], f32[N,4,20,32], f32[N,4,20,64], bool[16,20]", "f32[N,4,16,64]", "causal", false),
        ok("nn.attention", "f32[8,32], f32[8,32], f32[8,32], f32[8,8]", "f32[8,32]", "scale", 0.125),
        bad("nn.attention", "f32[N,4,16,32], f32[N,4,20,16], f32[N,4,20,64]", "q and k feature dims differ: 32 vs 16"),
        bad("nn.attention", "f32[N,16,32], f32[N,20,32], f32[N,18,64]", "k and v lengths differ: 20 vs 18"),
        bad("nn.attention", "f32[16,32], f32[20,32], f32[20,64], bool[16,16]", "mask bool[16,16] does not broadcast to the scores [16,20]"),
        bad("nn.attention", "f32[16,32], f32[20,32], f32[20,64], i64[16,20]", "mask must be bool or f32, got i64[16,20]"),
        bad("nn.attention", "f32[32], f32[32], f32[32]", "q, k, v need the same rank >= 2"),
        bad("nn.attention", "f32[16,32], f16[20,32], f32[20,64]", "dtypes differ: f32[16,32] and f16[20,32]"),
        bad("nn.attention", "f32[16,32], f32[20,32], f32[20,64]", "attribute 'causal' is 1, expected bool", "causal", new Attr.Int(1)));
  }
}
