package dev.kiln.runtime.nativelib;

import dev.kiln.ir.kernel.KBuffer;
import dev.kiln.ir.kernel.KType;
import dev.kiln.ir.kernel.Kernel;
import dev.kiln.ir.kernel.KernelProgram;
import dev.kiln.ir.kernel.Stmt;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * What a model compiled to native code runs, apart from the machine code itself: its buffers, the pointer table the
 * native segments read, and the init and run steps in order. The LLVM backend makes one (JIT and AOT alike); an llvm
 * artifact stores it as {@code native/plan.json} ({@link NativePlanJson}); {@link NativeProgram} links it to the
 * code and runs it. Immutable.
 *
 * <p>Pointer table, as every native segment {@code void symbol(ptr table, i32 tid, i32 nthreads)} reads it (one
 * table per thread of a run, thread {@code tid} of {@code nthreads}): {@code table[0]} is the thread's own workspace
 * ({@code workspaceBytes}, 64-byte aligned), {@code table[1 + i]} the storage of buffer {@code storages.get(i)}, each
 * its own 64-byte aligned allocation of {@code numel × element size} bytes, shared, and {@code table[1 + storages]}
 * the run's shared synchronisation area ({@link #SYNC_BYTES}, zeroed, for the native barrier).
 *
 * @param program the buffers, inputs, outputs and reference graphs; its {@code init}/{@code kernels} lists are empty
 *     (kernels that run on the JVM are inside their {@link Step.Java} steps; native kernels are only machine code)
 * @param storages the table order: every buffer that is not an alias and not {@code obj}, each once
 * @param workspaceBytes bytes of each thread's scratch area (GEMM packing, im2col)
 * @param init steps run once per instance, after weights are copied in (weight re-layouts)
 * @param run steps of one run
 * @param batch 1 for a plan run once per call; otherwise the plan is the batch-1 plan of a batch-separable graph
 *     (its inputs and outputs are {@code [1,...]}) and each call runs it once per sample of dim 0, {@code batch}
 *     samples (a static batch), or 0: as many as the inputs' dim 0 has (a symbolic batch such as {@code N}); see
 *     {@link NativeExecutor} and docs/llvm.md, "Batch split"
 */
public record NativePlan(KernelProgram program, List<String> storages, long workspaceBytes, List<Step> init, List<Step> run, long batch) {
  /** Version of {@code native/plan.json} of a plan run once per call. */
  public static final int FORMAT = 2;

  /**
   * Version of {@code native/plan.json} of a batch-split plan ({@link #batch} not 1): a runtime that reads only
   * {@link #FORMAT} refuses it rather than running the batch-1 plan on a batch.
   */
  public static final int FORMAT_SPLIT = 3;

  /** Bytes of the shared synchronisation area at {@code table[1 + storages]} (two cache lines). */
  public static final long SYNC_BYTES = 128;

  /** One step of the init or run sequence, executed in order by {@link NativeExecutor}. */
  public sealed interface Step {
    /**
     * A run of consecutive native kernels, {@code void symbol(ptr table, i32 tid, i32 nthreads)}; {@code kernels}
     * counts them (for reports); {@code work} is the estimated work of the kernels that split over threads (loop
     * iterations, multiply-adds): the executor runs the segment on one thread when it is small.
     */
    record Native(String symbol, int kernels, long work) implements Step {
      public Native {
        Objects.requireNonNull(symbol, "symbol");
        if (work < 0) throw new IllegalArgumentException("segment " + symbol + ": negative work " + work);
      }
    }

    /** A kernel the native emitter did not generate, run on the JVM from its Kernel IR ({@link JavaKernelRunner}). */
    record Java(Kernel kernel) implements Step {
      public Java { Objects.requireNonNull(kernel, "kernel"); }
    }

    /**
     * One graph node cut out as a graph and run by the reference interpreter, or (int8: a quantized linear/conv) on
     * the native int8 GEMM {@code int8} names ({@code Int8Step}); null int8 means the interpreter.
     */
    record Reference(Stmt.CallReference call, String int8) implements Step {
      public Reference { Objects.requireNonNull(call, "call"); }

      public Reference(Stmt.CallReference call) { this(call, null); }
    }
  }

  public NativePlan {
    Objects.requireNonNull(program, "program");
    storages = List.copyOf(storages);
    init = List.copyOf(init);
    run = List.copyOf(run);
    List<String> problems = problems(program, storages, workspaceBytes, init, run);
    problems.addAll(SampleLoop.problems(program, batch));
    if (!problems.isEmpty()) throw new IllegalArgumentException("plan @" + program.name() + ": " + String.join("; ", problems));
  }

  /** A plan run once per call (batch 1). */
  public NativePlan(KernelProgram program, List<String> storages, long workspaceBytes, List<Step> init, List<Step> run) {
    this(program, storages, workspaceBytes, init, run, 1);
  }

  /** This plan run once per sample: {@code batch} samples, or 0 for as many as the inputs have (see {@link #batch}). */
  public NativePlan withBatch(long batch) { return new NativePlan(program, storages, workspaceBytes, init, run, batch); }

  /** The symbols of every native step, init first, each once. */
  public List<String> symbols() {
    List<String> out = new ArrayList<>();
    for (List<Step> steps : List.of(init, run))
      for (Step s : steps) {
        if (s instanceof Step.Native n && !out.contains(n.symbol())) out.add(n.symbol());
        if (s instanceof Step.Reference r && r.int8() != null && !out.contains(r.int8())) out.add(r.int8()); // int8 GEMM
      }
    return out;
  }

  /** Bytes of a buffer element in native memory: f32 4, i64 8, bool 1. */
  public static long elementBytes(KType t) { return t == KType.F32 ? 4 : t == KType.I64 ? 8 : 1; }

  /** Consistency a plan read from a file must have before anything runs on its word. */
  private static List<String> problems(KernelProgram p, List<String> storages, long workspace, List<Step> init, List<Step> run) {
    List<String> out = new ArrayList<>();
    if (workspace < 0) out.add("negative workspace " + workspace);
    for (KBuffer b : p.buffers().values()) {
      if (b.role() == KBuffer.Role.ALIAS) {
        if (!p.buffers().containsKey(b.source())) out.add("alias %" + b.name() + " of unknown buffer %" + b.source());
        else if (aliasLoops(p, b)) out.add("alias %" + b.name() + " is part of a cycle");
      } else if (b.type() != KType.OBJ && !storages.contains(b.name())) out.add("buffer %" + b.name() + " has no storage slot");
      if (b.type() != KType.OBJ && (b.shape() == null || java.util.Arrays.stream(b.shape()).anyMatch(d -> d < 0)))
        out.add("buffer %" + b.name() + " has no static shape");
      if (b.role() == KBuffer.Role.WEIGHT && b.source() == null) out.add("weight buffer %" + b.name() + " names no weight");
    }
    for (int i = 0; i < storages.size(); i++) {
      KBuffer b = p.buffers().get(storages.get(i));
      if (b == null) out.add("storage slot " + i + " names unknown buffer %" + storages.get(i));
      else if (b.role() == KBuffer.Role.ALIAS || b.type() == KType.OBJ) out.add("storage slot " + i + " is %" + b.name() + ", an alias or object");
      else if (storages.indexOf(storages.get(i)) != i) out.add("buffer %" + b.name() + " has two storage slots");
    }
    for (int i = 0; i < p.inputs().size(); i++) {
      KBuffer b = p.buffers().get(p.inputs().get(i));
      if (b == null || b.role() != KBuffer.Role.INPUT) out.add("input " + i + " is not an input buffer");
    }
    for (String o : p.outputs()) if (!p.buffers().containsKey(o)) out.add("output %" + o + " is not a buffer");
    for (List<Step> steps : List.of(init, run))
      for (Step s : steps)
        if (s instanceof Step.Reference r) {
          if (r.call().ref() < 0 || r.call().ref() >= p.references().size()) out.add("reference call #" + r.call().ref() + " has no graph");
          for (String n : r.call().inputs()) if (!p.buffers().containsKey(n)) out.add("reference call #" + r.call().ref() + " reads unknown %" + n);
          for (String n : r.call().outputs()) if (!p.buffers().containsKey(n)) out.add("reference call #" + r.call().ref() + " writes unknown %" + n);
        } else if (s instanceof Step.Java j) {
          for (String n : j.kernel().params()) if (!p.buffers().containsKey(n)) out.add("kernel @" + j.kernel().name() + " uses unknown %" + n);
        }
    return out;
  }

  private static boolean aliasLoops(KernelProgram p, KBuffer b) {
    int hops = 0;
    while (b != null && b.role() == KBuffer.Role.ALIAS) {
      if (++hops > p.buffers().size()) return true;
      b = p.buffers().get(b.source());
    }
    return false;
  }
}
