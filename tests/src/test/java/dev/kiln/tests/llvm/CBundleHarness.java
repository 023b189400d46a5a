package dev.kiln.tests.llvm;

import dev.kiln.codegen.llvm.bundle.CBundleWriter;
import dev.kiln.frontend.torchscript.TorchScriptImporter;
import dev.kiln.ir.Type;
import dev.kiln.passes.PassManager;
import dev.kiln.passes.Pipelines;
import dev.kiln.passes.Program;
import dev.kiln.runtime.Tensor;
import java.io.File;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;

/**
 * Shared steps of the C bundle tests: write a bundle for a TorchScript archive (static input shape, -O2), build
 * {@code samples/c-bundle/main.c} against it with gcc, run it, read back its raw output and its printed classes.
 */
public final class CBundleHarness {
  public static final Path SAMPLE = Path.of("../samples/c-bundle/main.c");

  private CBundleHarness() {}

  /** The gcc on PATH; skips the calling test when there is none. */
  public static Path requireGcc() {
    String path = System.getenv("PATH");
    if (path != null)
      for (String dir : path.split(File.pathSeparator))
        if (Files.isExecutable(Path.of(dir, "gcc"))) return Path.of(dir, "gcc");
    Assumptions.abort("gcc is not on PATH: the C bundle tests compile a C program");
    return null;
  }

  /** Imports {@code pt} for {@code input}'s shape, optimizes at -O2 and writes bundle {@code name} into {@code dir}. */
  public static CBundleWriter.Result bundle(Path pt, Tensor input, String name, Path dir) {
    TorchScriptImporter.ImportedModel m = TorchScriptImporter.importArchive(pt, List.of(Type.tensor(input.dtype(), input.shape())));
    Program opt = PassManager.parse(Pipelines.level(2)).run(Program.of(m.graph(), m.weights()));
    return CBundleWriter.write(opt.graph(), opt.weights(), name, pt.toString(), "host", dir);
  }

  /** Builds the sample against bundle {@code name} in {@code bundleDir} (its object file); returns the program. */
  public static Path buildSample(Path gcc, String name, Path bundleDir, Path workDir) throws Exception {
    Path exe = workDir.resolve("classify_" + name);
    run(List.of(gcc.toString(), "-O2", "-std=c11", "-Wall", "-Wextra", "-Werror", "-DMODEL=" + name,
        "-DMODEL_UPPER=" + name.toUpperCase(Locale.ROOT), "-DBUNDLE_DIR=\"" + bundleDir + "\"", "-I" + bundleDir,
        SAMPLE.toString(), bundleDir.resolve(name + ".o").toString(), "-lm", "-o", exe.toString()));
    return exe;
  }

  /** Runs a command; fails with its output when it exits non-zero. Returns its standard output and error. */
  public static String run(List<String> cmd) throws Exception {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(300, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError("timed out: " + String.join(" ", cmd));
    }
    if (p.exitValue() != 0) throw new AssertionError("exit " + p.exitValue() + ": " + String.join(" ", cmd) + "\n" + out);
    return out;
  }

  public static float[] readFloats(Path raw) throws IOException {
    ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(raw)).order(ByteOrder.LITTLE_ENDIAN);
    float[] f = new float[b.remaining() / 4];
    b.asFloatBuffer().get(f);
    return f;
  }

  /** The classes the sample printed, per image, in rank order ({@code "  1. class 882  logit ..."} lines). */
  public static List<List<Integer>> printedClasses(String stdout) {
    List<List<Integer>> images = new ArrayList<>();
    Matcher m = Pattern.compile("(?m)^image \\d+:|^\\s+\\d+\\. class (\\d+) ").matcher(stdout);
    while (m.find()) {
      if (m.group(1) == null) images.add(new ArrayList<>());
      else images.get(images.size() - 1).add(Integer.parseInt(m.group(1)));
    }
    return images;
  }

  /** Indices of the {@code k} largest of {@code row}, largest first (lower index first on ties). */
  public static List<Integer> topK(double[] row, int k) {
    List<Integer> idx = new ArrayList<>();
    for (int i = 0; i < row.length; i++) idx.add(i);
    idx.sort((a, b) -> row[a] != row[b] ? Double.compare(row[b], row[a]) : Integer.compare(a, b));
    return idx.subList(0, Math.min(k, row.length));
  }
}
