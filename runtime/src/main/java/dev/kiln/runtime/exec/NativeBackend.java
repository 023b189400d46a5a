package dev.kiln.runtime.exec;

import dev.kiln.ir.TensorType;
import dev.kiln.ir.kernel.KBuffer;
import dev.kiln.ir.kernel.KernelProgram;
import dev.kiln.ir.text.IrParser;
import dev.kiln.runtime.Tensor;
import dev.kiln.runtime.artifact.Artifact;
import dev.kiln.runtime.artifact.ArtifactException;
import dev.kiln.runtime.artifact.Manifest;
import dev.kiln.runtime.artifact.Manifest.NativeCode;
import dev.kiln.runtime.nativelib.NativeLibrary;
import dev.kiln.runtime.nativelib.NativePlan;
import dev.kiln.runtime.nativelib.NativePlanJson;
import dev.kiln.runtime.nativelib.NativeProgram;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;

/**
 * Runs an llvm artifact: its plan is parsed and checked against the manifest, its shared library is written to a
 * private temporary file, loaded with {@code java.lang.foreign} ({@link NativeLibrary}; no LLVM) and the file deleted
 * again (the mapping stays), every segment symbol is looked up, and instances ({@code NativeExecutor}, not
 * thread-safe) are pooled. By the time this runs, {@code ArtifactReader} has checked the CPU features and both
 * entries' SHA-256.
 */
final class NativeBackend {
  private NativeBackend() {}

  static Executable create(Artifact a) {
    NativeCode n = a.manifest().nativeCode();
    String planWhere = a.source() + "!" + n.plan(), libWhere = a.source() + "!" + n.library();
    NativePlan plan;
    try {
      plan = NativePlanJson.read(new String(a.nativeFiles().get(n.plan()), StandardCharsets.UTF_8), planWhere);
    } catch (IllegalArgumentException bad) {
      throw new ArtifactException(planWhere, bad.getMessage().startsWith(planWhere) ? bad.getMessage().substring(planWhere.length() + 2) : bad.getMessage());
    }
    if (plan.program().inputs().size() != a.manifest().inputs().size() || plan.program().outputs().size() != a.manifest().outputs().size())
      throw new ArtifactException(planWhere, "the plan takes " + plan.program().inputs().size() + " inputs and gives "
          + plan.program().outputs().size() + " outputs; the manifest lists " + a.manifest().inputs().size() + " and " + a.manifest().outputs().size());
    if (plan.batch() != 1) {
      String bad = splitMismatch(plan, a.manifest().inputs());
      if (bad != null) throw new ArtifactException(planWhere, bad);
    }
    NativeLibrary lib = load(a.nativeFiles().get(n.library()), libWhere);
    NativeProgram code;
    try {
      code = NativeProgram.link(plan, lib::find, lib);
    } catch (IllegalArgumentException missing) {
      throw new ArtifactException(libWhere, missing.getMessage());
    }
    Map<String, Tensor> weights = a.weights();
    CompiledModel first;
    try {
      first = code.instantiate(weights);
    } catch (IllegalArgumentException bad) {
      throw new ArtifactException(planWhere, bad.getMessage());
    }
    return Backends.pooled(first, () -> code.instantiate(weights));
  }

  /**
   * Why a batch-split plan (per-sample inputs {@code [1,...]}, run {@code batch} times) does not fit the manifest's
   * inputs, or null: each input must be the batch (a symbol for batch 0) followed by the plan's per-sample dims.
   */
  private static String splitMismatch(NativePlan plan, List<Manifest.Port> ports) {
    KernelProgram p = plan.program();
    for (String name : p.inputs()) {
      KBuffer b = p.buffer(name);
      int at = Integer.parseInt(b.source());
      if (at >= ports.size()) return "input %" + name + " is parameter " + at + "; the manifest lists " + ports.size();
      Manifest.Port port = ports.get(at);
      Object type = IrParser.parseType(port.type(), port.name());
      boolean fits = type instanceof TensorType t && t.shape().isRanked() && t.rank() == b.shape().length
          && (plan.batch() == 0 ? t.shape().dim(0).isSymbolic() : t.shape().dim(0).is(plan.batch()));
      for (int d = 1; fits && d < b.shape().length; d++) fits = ((TensorType) type).shape().dim(d).is(b.shape()[d]);
      if (!fits) return "the plan runs " + (plan.batch() == 0 ? "N" : plan.batch()) + " samples of " + b.type().text()
          + Tensor.dims(b.shape()) + " for input " + at + "; the manifest says " + port.name() + ": " + port.type();
    }
    return null;
  }

  /** Writes the library to an owner-only temp file, loads it, and deletes the file (the loaded mapping stays). */
  private static NativeLibrary load(byte[] library, String where) {
    Path tmp = null;
    try {
      tmp = Files.createTempFile("kiln-", ".so", PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
      Files.write(tmp, library);
      return NativeLibrary.loadUntilUnreachable(tmp);
    } catch (IllegalArgumentException bad) {
      throw new ArtifactException(where, "not a loadable shared library (" + bad.getMessage() + ")");
    } catch (UnsupportedOperationException noPosix) {
      throw new ArtifactException(where, "cannot write the library to a private temporary file on this file system");
    } catch (IOException io) {
      throw new UncheckedIOException("cannot write " + where + " to a temporary file", io);
    } finally {
      if (tmp != null) {
        try {
          Files.deleteIfExists(tmp);
        } catch (IOException ignored) {
          // left in the temp directory; harmless
        }
      }
    }
  }
}
