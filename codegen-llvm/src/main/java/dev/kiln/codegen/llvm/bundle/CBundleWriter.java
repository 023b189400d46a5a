package dev.kiln.codegen.llvm.bundle;

import static org.bytedeco.llvm.global.LLVM.*;

import dev.kiln.codegen.llvm.LlvmModule;
import dev.kiln.codegen.llvm.TargetSpec;
import dev.kiln.codegen.llvm.aot.AotCompiler;
import dev.kiln.codegen.llvm.aot.SharedLibraryLinker;
import dev.kiln.codegen.llvm.backend.NativeKernels;
import dev.kiln.ir.Graph;
import dev.kiln.ir.Value;
import dev.kiln.ir.kernel.KBuffer;
import dev.kiln.ir.kernel.KType;
import dev.kiln.ir.kernel.Kernel;
import dev.kiln.ir.kernel.KernelProgram;
import dev.kiln.passes.lower.KernelLowering;
import dev.kiln.passes.lower.LoweringOptions;
import dev.kiln.runtime.Tensor;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.bytedeco.llvm.LLVM.LLVMValueRef;

/**
 * Writes a C bundle: a model as native code a C or C++ program links directly, with no Kiln library and no JVM
 * (like Glow's bundles or tfcompile). Into one folder it writes
 *
 * <ul>
 *   <li>{@code NAME.o}: position-independent object code exporting only {@code NAME_run} (every kernel and the
 *       GEMMs are internal), and {@code libNAME.so} linked from it when gcc, cc or ld is installed;
 *   <li>{@code NAME.h}: the prototype and, as macros, sizes, shapes and the weights file ({@link CHeaderWriter});
 *   <li>{@code NAME.weights}: the weights blob, already in the layouts the kernels read: init kernels (weight
 *       re-layouts) are evaluated here, at compile time, so the C side has nothing to initialise.
 * </ul>
 *
 * Every run kernel must compile natively: where the JIT backend would fall back to the JVM or the interpreter, this
 * throws a {@link CBundleException} naming the kernel and its op.
 */
public final class CBundleWriter {
  private static final Pattern C_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");

  private CBundleWriter() {}

  /** What was written. {@code sharedLibrary} is null when no linker is installed. */
  public record Result(String name, Path header, Path object, Path sharedLibrary, Path weights, BundleLayout layout,
      int kernels, double millis) {
    /** One line for the command line: files and sizes. */
    public String report() {
      return String.format(java.util.Locale.ROOT,
          "C bundle %s: %d kernels; weights %.1f MB; workspace %.1f MB (scratch %.1f MB + activations %.1f MB, %.1f MB unshared);"
              + " wrote %s, %s%s, %s in %.1f s",
          name, kernels, mb(layout.weightsBytes()), mb(layout.workspaceBytes()), mb(layout.scratchBytes()),
          mb(layout.workspaceBytes() - layout.scratchBytes()), mb(layout.unsharedActivationBytes()), header.getFileName(), object.getFileName(),
          sharedLibrary == null ? " (no linker: no .so)" : ", " + sharedLibrary.getFileName(), weights.getFileName(), millis / 1000);
    }

    private static double mb(long bytes) { return bytes / 1048576.0; }
  }

  /** A C identifier from a model file name: {@code resnet18.pt} gives {@code resnet18}, {@code my-net.v2.pt} {@code my_net_v2}. */
  public static String nameFor(Path model) {
    String f = model.getFileName().toString();
    int dot = f.lastIndexOf('.');
    String stem = (dot > 0 ? f.substring(0, dot) : f).replaceAll("[^A-Za-z0-9_]", "_");
    return stem.isEmpty() || Character.isDigit(stem.charAt(0)) ? "m_" + stem : stem;
  }

  /**
   * @param optimized the graph after the optimization pipeline, with static shapes; only read
   * @param weights the weights its {@code const} nodes name, not null
   * @param name the bundle name, a C identifier: prefix of every symbol, macro and file
   * @param source what the model came from (a file name), for the header comment; not null
   * @param target {@code "host"} or an LLVM CPU name ({@link TargetSpec#parse})
   * @param dir the folder to write into (created if missing; files of the same name are replaced)
   * @throws CBundleException for a bad name, a kernel with no native form, or a weight missing from the table
   */
  public static Result write(Graph optimized, Map<String, Tensor> weights, String name, String source, String target, Path dir) {
    long t0 = System.nanoTime();
    if (!C_NAME.matcher(name).matches())
      throw new CBundleException("bundle name \"" + name + "\" is not a C identifier (letters, digits, _; not starting with a digit)");
    KernelProgram p = KernelLowering.lower(optimized, LoweringOptions.NATIVE); // as LlvmBackend: Winograd where it pays
    String where = "C bundle " + name + " of @" + p.name() + " (" + source + ")";
    for (KBuffer b : p.buffers().values())
      if (b.role() == KBuffer.Role.WEIGHT && !weights.containsKey(b.source()))
        throw new CBundleException(where + ": graph reads weight \"" + b.source() + "\", which is not in the weight table");
    List<CHeaderWriter.Port> ins = ports(p, p.inputs(), optimized.params(), "input", where);
    List<CHeaderWriter.Port> outs = ports(p, p.outputs(), optimized.results(), "output", where);

    TargetSpec spec = TargetSpec.parse(target);
    try (LlvmModule m = new LlvmModule("kiln_bundle_" + name)) {
      NativeKernels nk = new NativeKernels(m, p, spec, p.kernels());
      List<String> fns = new ArrayList<>();
      List<List<String>> params = new ArrayList<>();
      for (Kernel k : p.kernels()) {
        String fn = name + "_k" + fns.size();
        try {
          params.add(nk.emit(fn, k));
        } catch (IllegalArgumentException e) {
          throw new CBundleException(where + ": " + e.getMessage()
              + "; a C bundle needs every kernel in native code (the JIT backend runs such kernels on the JVM or the interpreter)", e);
        }
        fns.add(fn);
      }
      BundleLayout layout = BundleLayout.plan(p, params, nk.scratchBytes());
      byte[] blob = WeightsBlob.build(p, layout, weights, where);
      String symbol = name + "_run";
      BundleEntryEmitter.emit(m, symbol, p, layout, fns, params);
      exportOnly(m, symbol);

      Files.createDirectories(dir);
      Path object = dir.resolve(name + ".o"), weightsFile = dir.resolve(name + ".weights"), header = dir.resolve(name + ".h");
      AotCompiler.emitObject(m, spec, object);
      Path so = null;
      var linker = SharedLibraryLinker.find();
      if (linker.isPresent()) {
        so = dir.resolve("lib" + name + ".so");
        linker.get().link(List.of(object), so);
      }
      Files.write(weightsFile, blob);
      Files.writeString(header, CHeaderWriter.write(name, source, spec.cpu(), weightsFile.getFileName().toString(),
          blob.length, fnv1a64(blob), layout.workspaceBytes(), ins, outs), StandardCharsets.UTF_8);
      return new Result(name, header, object, so, weightsFile, layout, fns.size(), (System.nanoTime() - t0) / 1e6);
    } catch (IOException e) {
      throw new UncheckedIOException("writing " + where + " to " + dir + ": " + e.getMessage(), e);
    }
  }

  /** Tensor ports with the graph's value names; an {@code obj} port (list, number) cannot cross a C call. */
  private static List<CHeaderWriter.Port> ports(KernelProgram p, List<String> buffers, List<Value> values, String what, String where) {
    List<CHeaderWriter.Port> ports = new ArrayList<>();
    for (int i = 0; i < buffers.size(); i++) {
      KBuffer b = p.buffer(buffers.get(i));
      String n = i < values.size() && values.get(i).name() != null ? values.get(i).name().replaceAll("[^A-Za-z0-9_.]", "_") : what + i;
      if (b.type() == KType.OBJ)
        throw new CBundleException(where + ": " + what + " " + i + " (%" + n + ") is not a tensor of static shape; C bundles take and return tensors only");
      ports.add(new CHeaderWriter.Port(n, b.type(), b.shape()));
    }
    return ports;
  }

  /** Makes every defined function but {@code symbol} internal, so bundles of two models link into one program. */
  private static void exportOnly(LlvmModule m, String symbol) {
    for (LLVMValueRef f = LLVMGetFirstFunction(m.ref()); f != null && !f.isNull(); f = LLVMGetNextFunction(f)) {
      if (LLVMIsDeclaration(f) == 0 && !LLVMGetValueName(f).getString().equals(symbol)) m.makeInternal(f);
    }
  }

  static long fnv1a64(byte[] data) {
    long h = 0xcbf29ce484222325L;
    for (byte b : data) {
      h ^= b & 0xff;
      h *= 0x100000001b3L;
    }
    return h;
  }
}
