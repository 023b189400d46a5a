package dev.kiln.codegen.llvm.backend;

import dev.kiln.ir.DType;
import dev.kiln.ir.kernel.KBuffer;
import dev.kiln.ir.kernel.KType;
import dev.kiln.ir.kernel.KernelProgram;
import dev.kiln.ir.kernel.Stmt;
import dev.kiln.ir.text.IrParser;
import dev.kiln.runtime.KilnRuntimeException;
import dev.kiln.runtime.Tensor;
import dev.kiln.runtime.exec.CompiledModel;
import dev.kiln.runtime.interp.Interpreter;
import dev.kiln.runtime.nativelib.NativeBuffers;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * One instance of an {@link LlvmCompiled} model: every storage buffer is an off-heap, 64-byte aligned segment
 * allocated once (weights copied in once, consts filled by the init steps), plus one workspace and the pointer
 * table the native segments read. {@code run} copies the inputs in, runs the steps, and copies the outputs out into
 * fresh tensors. Memory is freed when the instance becomes unreachable (automatic arena).
 */
final class NativeModel implements CompiledModel {
  private final LlvmCompiled compiled;
  private final KernelProgram p;
  private final Map<String, MemorySegment> segments = new HashMap<>();
  private final Map<String, Object> objects = new HashMap<>();
  private final Interpreter[] references;
  private final MemorySegment table;

  NativeModel(LlvmCompiled compiled, Map<String, Tensor> weights) {
    this.compiled = compiled;
    this.p = compiled.program();
    Arena arena = Arena.ofAuto();
    List<String> storages = compiled.storages();
    table = arena.allocate(ValueLayout.ADDRESS, storages.size() + 1);
    table.setAtIndex(ValueLayout.ADDRESS, 0, NativeBuffers.scratch(arena, compiled.workspaceBytes()));
    for (int i = 0; i < storages.size(); i++) {
      KBuffer b = p.buffer(storages.get(i));
      MemorySegment s = NativeBuffers.scratch(arena, b.numel() * elementBytes(b.type()));
      if (b.role() == KBuffer.Role.WEIGHT) {
        Tensor w = weights.get(b.source());
        if (w == null) throw new IllegalArgumentException("missing weight \"" + b.source() + "\" for buffer %" + b.name());
        copyIn(w, b, s);
      }
      segments.put(b.name(), s);
      table.setAtIndex(ValueLayout.ADDRESS, i + 1, s);
    }
    references = new Interpreter[p.references().size()];
    for (int i = 0; i < references.length; i++)
      references[i] = new Interpreter(IrParser.parse(p.references().get(i), p.name() + " reference #" + i), weights);
    execute(compiled.initSteps());
  }

  @Override public boolean isThreadSafe() { return false; }

  @Override
  public synchronized List<Object> run(List<Object> inputs) {
    for (String in : p.inputs()) {
      KBuffer b = p.buffer(in);
      Object v = inputs.get(Integer.parseInt(b.source()));
      if (b.type() == KType.OBJ) objects.put(b.name(), v);
      else copyIn((Tensor) v, b, segments.get(p.storageOf(in).name()));
    }
    execute(compiled.runSteps());
    List<Object> out = new ArrayList<>();
    for (String o : p.outputs()) out.add(copyOut(o));
    return out;
  }

  private void execute(List<Step> steps) {
    for (Step s : steps) {
      switch (s) {
        case Step.Native n -> {
          try {
            n.handle().invokeExact(table);
          } catch (Throwable t) {
            throw new KilnRuntimeException("native segment " + n.symbol() + " of @" + p.name() + " failed: " + t, t);
          }
        }
        case Step.Java j -> j.runner().run(name -> segments.get(name));
        case Step.Reference r -> reference(r.call());
      }
    }
  }

  /** Inputs go in as tensors over the native buffers (no copy); results are copied into their buffers. */
  private void reference(Stmt.CallReference r) {
    List<Object> args = new ArrayList<>();
    for (String in : r.inputs()) args.add(value(in, false));
    List<Object> res = references[r.ref()].run(args);
    for (int i = 0; i < r.outputs().size(); i++) {
      KBuffer b = p.buffer(r.outputs().get(i));
      if (b.type() == KType.OBJ) objects.put(p.storageOf(b.name()).name(), res.get(i));
      else copyIn((Tensor) res.get(i), b, segments.get(p.storageOf(b.name()).name()));
    }
  }

  private Object copyOut(String name) { return value(name, true); }

  /** Buffer {@code name} as a run-time value: its object, or a tensor of its shape over (or copied from) its storage. */
  private Object value(String name, boolean copy) {
    KBuffer b = p.buffer(name);
    KBuffer s = p.storageOf(name);
    if (b.type() == KType.OBJ) return objects.get(s.name());
    MemorySegment seg = segments.get(s.name()).asSlice(0, b.numel() * elementBytes(b.type()));
    if (copy) seg = switch (b.type()) {
      case F32 -> MemorySegment.ofArray(seg.toArray(ValueLayout.JAVA_FLOAT));
      case I64 -> MemorySegment.ofArray(seg.toArray(ValueLayout.JAVA_LONG));
      default -> MemorySegment.ofArray(seg.toArray(ValueLayout.JAVA_BYTE));
    };
    return Tensor.of(b.type().dtype(), seg, b.shape());
  }

  private static void copyIn(Tensor t, KBuffer b, MemorySegment dst) {
    DType want = b.type().dtype();
    if (t.numel() != b.numel())
      throw new IllegalArgumentException("buffer %" + b.name() + " holds " + b.numel() + " elements, got a tensor of " + Tensor.dims(t.shape()));
    Tensor c = t.dtype() == want ? t : t.to(want);
    MemorySegment.copy(c.segment(), 0, dst, 0, b.numel() * elementBytes(b.type()));
  }

  static long elementBytes(KType t) { return t == KType.F32 ? 4 : t == KType.I64 ? 8 : 1; }
}
