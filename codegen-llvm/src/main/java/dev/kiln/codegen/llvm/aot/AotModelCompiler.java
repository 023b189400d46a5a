package dev.kiln.codegen.llvm.aot;

import dev.kiln.codegen.llvm.LlvmException;
import dev.kiln.codegen.llvm.TargetSpec;
import dev.kiln.codegen.llvm.backend.LlvmBackend;
import dev.kiln.codegen.llvm.backend.LlvmBatchSplit;
import dev.kiln.codegen.llvm.backend.LlvmEmitted;
import dev.kiln.codegen.llvm.backend.LlvmOptions;
import dev.kiln.ir.Graph;
import dev.kiln.runtime.Tensor;
import dev.kiln.runtime.nativelib.NativePlan;
import dev.kiln.runtime.nativelib.NativePlanJson;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The LLVM backend's AOT mode: the same emission as the JIT ({@link LlvmBackend#emit}), then the module is
 * optimised, written as a PIC object for the target and linked into a shared library ({@link AotCompiler}), and the
 * plan is serialised for the artifact. A model with no native kernel still gets a (small) library: the GEMM routines
 * are always emitted. A graph the JIT would split ({@link LlvmBatchSplit}) is compiled for batch 1 here too and its
 * plan carries the batch, so the artifact runs the samples one by one as the JIT model does; the stored graph and
 * the manifest keep the batched signature.
 */
public final class AotModelCompiler {
  private AotModelCompiler() {}

  /**
   * @param optimized the graph after the optimization pipeline (static shapes where loops are wanted), not null
   * @param weights every weight it reads, not null
   * @param opts target {@code host}, an x86-64 level such as {@code x86-64-v3}, or the host's CPU name
   * @throws IllegalArgumentException for a target whose features Kiln cannot list, or a missing weight
   * @throws LlvmException when LLVM or the linker fails
   */
  public static AotModel compile(Graph optimized, Map<String, Tensor> weights, LlvmOptions opts) {
    long t0 = System.nanoTime();
    TargetSpec target = TargetSpec.parse(opts.target());
    List<String> features = TargetFeatures.of(target, opts.target().equals("host") ? target : TargetSpec.host());
    LlvmBatchSplit.Plan split = LlvmBatchSplit.of(optimized); // the JIT's split: same code, same samples
    LlvmEmitted e = LlvmBackend.emit(split.graph(), weights, opts);
    Path dir = null;
    try {
      NativePlan plan = split.apply(e.plan());
      dir = Files.createTempDirectory("kiln-aot-");
      Path lib = dir.resolve("libkiln_model.so");
      long emitted = System.nanoTime();
      AotCompiler.sharedLibrary(e.module(), target, lib);
      byte[] bytes = Files.readAllBytes(lib);
      String json = NativePlanJson.write(plan);
      // What the runtime will read must be what was compiled: catch a lossy encoding here, not at load time.
      if (!NativePlanJson.write(NativePlanJson.read(json, "native/plan.json")).equals(json))
        throw new LlvmException("native/plan.json of @" + optimized.name() + " does not read back to the same plan");
      long done = System.nanoTime();
      String report = e.kinds() + (split.batch() == 1 ? "" : "; batch split (" + (split.batch() == 0 ? "N" : split.batch()) + " samples per call)")
          + String.format("; compile %.0f ms (emit %.0f + object and link %.0f); %s, %d features",
          (done - t0) / 1e6, e.emitMillis(), (done - emitted) / 1e6, target.cpu(), features.size());
      return new AotModel(bytes, plan, json, target.cpu(), features, report);
    } catch (IOException io) {
      throw new UncheckedIOException(io);
    } finally {
      e.module().close();
      if (dir != null) deleteTree(dir);
    }
  }

  private static void deleteTree(Path dir) {
    try (Stream<Path> s = Files.walk(dir)) {
      s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException ignored) {
      // a leftover temp directory is harmless
    }
  }
}
