package dev.kiln.cli;

import static dev.kiln.cli.KilnCliTest.kiln;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.cli.KilnCliTest.Result;
import dev.kiln.runtime.Npy;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code kiln compile --backend llvm --emit-c-bundle DIR} as a user types it, then {@code make} with
 * samples/c-bundle's Makefile and the program it builds: the classes printed are PyTorch's for the sample CNN.
 */
@Tag("llvm")
class CBundleCliTest {
  private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
  private static final Path CNN = ROOT.resolve("samples/models");

  @TempDir Path dir;

  @Test
  void compileEmitsABundleThatTheSampleMakefileBuilds() throws Exception {
    Assumptions.assumeTrue(onPath("make") && onPath("cc"), "make and cc are needed to build the sample");
    Path bundle = dir.resolve("bundle");
    Result r = kiln("compile", CNN.resolve("cnn.pt").toString(), "--input-type", "f32[1,3,32,32]", "-O2", "--backend", "llvm",
        "--emit-c-bundle", bundle.toString());
    assertEquals(0, r.code(), r.all());
    assertTrue(r.out().startsWith("C bundle cnn: "), r.all());
    for (String f : List.of("cnn.h", "cnn.o", "cnn.weights")) assertTrue(Files.isRegularFile(bundle.resolve(f)), f + ": " + r.all());

    Path exe = dir.resolve("classify");
    String made = exec(dir, "make", "-f", ROOT.resolve("samples/c-bundle/Makefile").toString(), "MODEL=cnn", "BUNDLE=" + bundle,
        "OUT=" + exe);
    String out = exec(dir, exe.toString(), "--top", "3", CNN.resolve("cnn.input.npy").toString());
    double[] want = Npy.read(CNN.resolve("cnn.output.npy")).toDoubleArray();
    List<Integer> top = new ArrayList<>();
    for (int i = 0; i < want.length; i++) top.add(i);
    top.sort((a, b) -> Double.compare(want[b], want[a]));
    List<Integer> printed = new ArrayList<>();
    Matcher m = Pattern.compile("(?m)^\\s+\\d+\\. class (\\d+) ").matcher(out);
    while (m.find()) printed.add(Integer.parseInt(m.group(1)));
    assertEquals(top.subList(0, 3), printed, made + out);
  }

  @Test
  void aBundleNeedsTheLlvmBackend() {
    Result r = kiln("compile", CNN.resolve("cnn.pt").toString(), "--input-type", "f32[1,3,32,32]", "--emit-c-bundle", dir.toString());
    assertEquals(1, r.code(), r.all());
    assertTrue(r.err().contains("--emit-c-bundle needs --backend llvm"), r.all());
  }

  @Test
  void withoutOutputOrBundleCompileSaysWhatIsMissing() {
    Result r = kiln("compile", CNN.resolve("cnn.pt").toString(), "--input-type", "f32[1,3,32,32]");
    assertEquals(1, r.code(), r.all());
    assertTrue(r.err().contains("missing -o/--output MODEL.kiln (or --emit-c-bundle DIR)"), r.all());
  }

  private static boolean onPath(String tool) {
    String path = System.getenv("PATH");
    if (path == null) return false;
    for (String d : path.split(File.pathSeparator)) if (Files.isExecutable(Path.of(d, tool))) return true;
    return false;
  }

  private static String exec(Path cwd, String... cmd) throws Exception {
    Process p = new ProcessBuilder(cmd).directory(cwd.toFile()).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(120, TimeUnit.SECONDS)) p.destroyForcibly();
    assertEquals(0, p.exitValue(), String.join(" ", cmd) + "\n" + out);
    return out;
  }
}
