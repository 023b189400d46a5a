package dev.kiln.runtime.nativelib;

import dev.kiln.ir.DType;
import dev.kiln.ir.kernel.KBuffer;
import dev.kiln.ir.kernel.KType;
import dev.kiln.ir.kernel.KernelProgram;
import dev.kiln.runtime.KilnRuntimeException;
import dev.kiln.runtime.Tensor;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The batch split of a native plan ({@link NativePlan#batch} other than 1): one call runs the batch-1 plan once per
 * sample of dim 0. Sample {@code i} of every input is copied straight from the caller's tensor (at byte offset
 * {@code i × sample bytes}) into the input's storage, the run steps execute, and each output's storage is copied into
 * row {@code i} of a {@code [n,...]} result allocated once per call: no per-sample tensors, slices or interpreter
 * frames. With more than one thread the samples run in parallel, one per thread ({@link #run}). Every sample runs the same code on the same buffers, so the results are the bits of running each sample
 * alone through the batch-1 plan. The LLVM backend makes such plans for batch-separable graphs whose activations
 * outweigh their weights (one sample's stay in cache; docs/llvm.md, "Batch split").
 */
final class SampleLoop {
  private SampleLoop() {}

  /** What a plan of this batch needs of its program: tensor inputs and outputs of one sample, {@code [1,...]}. */
  static List<String> problems(KernelProgram p, long batch) {
    List<String> out = new ArrayList<>();
    if (batch == 1) return out;
    if (batch < 0) out.add("negative batch " + batch);
    for (String n : p.inputs()) perSample(p, n, "input", out);
    for (String n : p.outputs()) perSample(p, n, "output", out);
    return out;
  }

  private static void perSample(KernelProgram p, String name, String what, List<String> out) {
    KBuffer b = p.buffers().get(name);
    if (b == null) return; // reported by the plan's own checks
    if (b.type() == KType.OBJ) out.add(what + " %" + name + " is an object; a batch-split plan takes and gives tensors");
    else if (b.shape() == null || b.shape().length == 0 || b.shape()[0] != 1)
      out.add(what + " %" + name + " is not one sample [1,...] of a batch-split plan: " + (b.shape() == null ? "no shape" : Tensor.dims(b.shape())));
  }

  /**
   * Runs one call of {@code ex}'s plan (batch not 1). On one thread the samples run in order on {@code ex}; with
   * {@code T > 1} threads (the instance's count, else the runtime's) and at least the executor's minimum fork work in
   * the call's native segments (n × the plan's), they are shared among {@code min(T, n)} lanes,
   * each an instance with its own buffers ({@link NativeExecutor#lane}) running whole samples on one thread: no fork
   * and join per segment, and each sample's activations stay in its core's caches. The bits are the same either way
   * (a segment's results do not depend on its thread count).
   *
   * @param inputs one tensor per parameter, each with the batch in dim 0
   * @throws IllegalArgumentException naming the input whose shape is not the batch's samples
   */
  static List<Object> run(NativeExecutor ex, List<Object> inputs) {
    NativePlan plan = ex.code().plan();
    KernelProgram p = plan.program();
    long n = samples(plan, inputs);
    int ins = p.inputs().size(), outs = p.outputs().size();
    MemorySegment[] from = new MemorySegment[ins];
    String[] inSlot = new String[ins], outSlot = new String[outs];
    long[] inBytes = new long[ins], outBytes = new long[outs];
    for (int i = 0; i < ins; i++) {
      KBuffer b = p.buffer(p.inputs().get(i));
      Tensor t = (Tensor) inputs.get(Integer.parseInt(b.source()));
      DType want = b.type().dtype();
      from[i] = (t.dtype() == want ? t : t.to(want)).segment(); // contiguous
      inSlot[i] = p.storageOf(b.name()).name();
      inBytes[i] = b.numel() * NativePlan.elementBytes(b.type());
    }
    Tensor[] results = new Tensor[outs];
    MemorySegment[] dst = new MemorySegment[outs];
    for (int r = 0; r < outs; r++) {
      KBuffer b = p.buffer(p.outputs().get(r));
      long[] shape = b.shape().clone();
      shape[0] = n;
      results[r] = Tensor.zeros(b.type().dtype(), shape);
      dst[r] = results[r].segment();
      outSlot[r] = p.storageOf(b.name()).name();
      outBytes[r] = b.numel() * NativePlan.elementBytes(b.type());
    }
    long work = 0; // the executor's rule for a segment, applied to the whole call: fork only when it is worth it
    for (NativePlan.Step st : plan.run()) if (st instanceof NativePlan.Step.Native nat) work += nat.work();
    int lanes = work * n < ex.minForkWork() ? 1 : (int) Math.min(ex.want(), n);
    if (lanes <= 1) {
      for (long s = 0; s < n; s++) sample(ex, s, false, from, inSlot, inBytes, dst, outSlot, outBytes);
    } else {
      NativeExecutor[] lane = new NativeExecutor[lanes];
      for (int i = 0; i < lanes; i++) lane[i] = ex.lane(i);
      AtomicLong next = new AtomicLong();
      try {
        NativeThreads.run(lanes, (tid, count) -> {
          for (long s = next.getAndIncrement(); s < n; s = next.getAndIncrement())
            sample(lane[tid], s, true, from, inSlot, inBytes, dst, outSlot, outBytes);
        });
      } catch (RuntimeException | Error e) {
        throw e;
      } catch (Throwable t) {
        throw new KilnRuntimeException("batch split of @" + p.name() + " failed: " + t, t);
      }
    }
    return new ArrayList<>(List.of((Object[]) results));
  }

  /** Sample {@code s} through {@code ex}: its rows in, the run steps, its rows out. */
  private static void sample(NativeExecutor ex, long s, boolean alone, MemorySegment[] from, String[] inSlot, long[] inBytes,
      MemorySegment[] dst, String[] outSlot, long[] outBytes) {
    for (int i = 0; i < from.length; i++) MemorySegment.copy(from[i], s * inBytes[i], ex.storage(inSlot[i]), 0, inBytes[i]);
    ex.runSteps(alone);
    for (int r = 0; r < dst.length; r++) MemorySegment.copy(ex.storage(outSlot[r]), 0, dst[r], s * outBytes[r], outBytes[r]);
  }

  /** The call's sample count: the plan's static batch, or the inputs' common dim 0; each input's shape is checked. */
  private static long samples(NativePlan plan, List<Object> inputs) {
    KernelProgram p = plan.program();
    long n = plan.batch();
    String first = null;
    for (String name : p.inputs()) {
      KBuffer b = p.buffer(name);
      int at = Integer.parseInt(b.source());
      Object v = at < inputs.size() ? inputs.get(at) : null;
      String what = "input " + at + " (buffer %" + name + ", " + (n > 0 ? n : "N") + " samples of " + b.type().text() + Tensor.dims(b.shape()) + ")";
      if (!(v instanceof Tensor t)) throw new IllegalArgumentException(what + ": expected a tensor, got " + v);
      if (n == 0) {
        n = t.rank() == 0 ? -1 : t.size(0);
        first = "input " + at;
      }
      long[] want = b.shape().clone();
      want[0] = n;
      if (!java.util.Arrays.equals(t.shape(), want))
        throw new IllegalArgumentException(what + ": expected a tensor of " + Tensor.dims(want) + ", got " + Tensor.dims(t.shape())
            + (first != null && plan.batch() == 0 ? " (the batch is " + n + " from " + first + ")" : ""));
    }
    return Math.max(n, 0);
  }
}
