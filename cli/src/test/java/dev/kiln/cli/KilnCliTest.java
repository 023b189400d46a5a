package dev.kiln.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.runtime.Npy;
import dev.kiln.runtime.Tensor;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** Runs the kiln command in-process and checks exit codes, stdout and stderr. */
class KilnCliTest {
  @TempDir Path dir;

  record Result(int code, String out, String err) {
    /** For assertion messages: everything the command said. */
    String all() { return "exit " + code + "\n--- stdout\n" + out + "--- stderr\n" + err; }
  }

  static Result kiln(String... args) {
    StringWriter out = new StringWriter(), err = new StringWriter();
    CommandLine cl = Kiln.commandLine();
    cl.setOut(new PrintWriter(out, true));
    cl.setErr(new PrintWriter(err, true));
    int code = cl.execute(args);
    return new Result(code, out.toString(), err.toString());
  }

  // y = relu(x W^T) with W = [[1,0,0],[0,1,0]]: keeps the first two columns of x, negatives zeroed.
  static final String MLP = """
      graph @mlp(%x: f32[N,3]) -> (f32[N,2]) {
        %w = const {value=[1.0,0.0,0.0,0.0,1.0,0.0]} : f32[2,3]
        %0 = nn.linear(%x, %w) : f32[N,2]
        %1 = nn.relu(%0) : f32[N,2]
        return(%1)
      }
      """;

  Path write(String name, String text) throws IOException {
    Path p = dir.resolve(name);
    Files.writeString(p, text);
    return p;
  }

  Path npy(String name, Tensor t) {
    Path p = dir.resolve(name);
    Npy.write(p, t);
    return p;
  }

  @Test
  void inspectPrintsTheVerifiedIr() throws IOException {
    Result r = kiln("inspect", write("mlp.kir", MLP).toString());
    assertEquals(0, r.code(), r.all());
    assertTrue(r.out().startsWith("graph @mlp(%x: f32[N,3]) -> (f32[N,2]) {"), r.all());
    assertTrue(r.out().contains("nn.linear(%x, %w)") && r.out().contains("return(%1)"), r.all());
    assertEquals("", r.err());
  }

  @Test
  void inspectStatsCountsOps() throws IOException {
    Result r = kiln("inspect", "--stats", write("mlp.kir", MLP).toString());
    assertEquals(0, r.code(), r.all());
    assertTrue(r.out().contains("graph @mlp: 1 params, 1 results, 4 nodes, 0 named weights"), r.all());
    assertTrue(r.out().lines().anyMatch(l -> l.matches("\\s+nn\\.relu\\s+1")), r.all());
  }

  @Test
  void inspectParseErrorNamesFileLineAndColumn() throws IOException {
    // Line 3 lacks the ')' closing the operand list.
    String bad = MLP.replace("nn.linear(%x, %w) :", "nn.linear(%x, %w :");
    Path f = write("bad.kir", bad);
    Result r = kiln("inspect", f.toString());
    assertEquals(1, r.code(), r.all());
    assertTrue(r.err().startsWith("kiln: " + f + ":3:"), r.all());
    assertEquals(1, r.err().lines().count(), "one line, no stack trace: " + r.all());
    assertEquals("", r.out());
  }

  @Test
  void debugShowsTheStackTrace() throws IOException {
    Path f = write("bad.kir", "graph @g(\n");
    Result r = kiln("inspect", "--debug", f.toString());
    assertEquals(1, r.code(), r.all());
    assertTrue(r.err().contains("\tat dev.kiln."), r.all());
  }

  @Test
  void missingFileIsOneLine() {
    Result r = kiln("inspect", dir.resolve("nope.kir").toString());
    assertEquals(1, r.code(), r.all());
    assertEquals("kiln: " + dir.resolve("nope.kir") + ": no such file\n", r.err().replace("\r", ""));
  }

  @Test
  void runWritesTheOutputFile() throws IOException {
    Path x = npy("x.npy", Tensor.fromFloats(new float[] {1, -2, 3, -4, 5, 6}, 2, 3));
    Path y = dir.resolve("y.npy");
    Result r = kiln("run", write("mlp.kir", MLP).toString(), "--input", x.toString(), "--output", y.toString());
    assertEquals(0, r.code(), r.all());
    Tensor out = Npy.read(y);
    assertArrayEquals(new long[] {2, 2}, out.shape());
    assertArrayEquals(new float[] {1, 0, 0, 5}, out.toFloatArray());
  }

  @Test
  void runPrintsDtypeShapeValuesAndChecksum() throws IOException {
    Path x = npy("x.npy", Tensor.fromFloats(new float[] {1, -2, 3, -4, 5, 6}, 2, 3));
    Result r = kiln("run", write("mlp.kir", MLP).toString(), "-i", x.toString());
    assertEquals(0, r.code(), r.all());
    assertTrue(r.out().contains("output 0: f32[2,2]"), r.all());
    assertTrue(r.out().contains("values: [1.0, 0.0, 0.0, 5.0]"), r.all());
    assertTrue(r.out().contains("checksum: 6.0 (sum of all 4 values as double)"), r.all());
  }

  @Test
  void runReadsNamedWeightsFromTheFolderBesideTheFile() throws IOException {
    Path kir = write("fc.kir", MLP.replace("const {value=[1.0,0.0,0.0,0.0,1.0,0.0]}", "const {name=\"fc.weight\"}"));
    Files.createDirectory(dir.resolve("fc.weights"));
    // W = [[0,0,1],[0,0,-1]]: y = relu([x2, -x2]).
    npy("fc.weights/fc.weight.npy", Tensor.fromFloats(new float[] {0, 0, 1, 0, 0, -1}, 2, 3));
    Path x = npy("x.npy", Tensor.fromFloats(new float[] {1, -2, 3, -4, 5, -6}, 2, 3));
    Path y = dir.resolve("y.npy");
    Result r = kiln("run", kir.toString(), "--input", x.toString(), "--output", y.toString());
    assertEquals(0, r.code(), r.all());
    assertArrayEquals(new float[] {3, 0, 0, 6}, Npy.read(y).toFloatArray());
  }

  @Test
  void missingWeightsSayWhereTheyWereLookedFor() throws IOException {
    Path kir = write("fc.kir", MLP.replace("const {value=[1.0,0.0,0.0,0.0,1.0,0.0]}", "const {name=\"fc.weight\"}"));
    Path x = npy("x.npy", Tensor.fromFloats(new float[3], 1, 3));
    Result r = kiln("run", kir.toString(), "--input", x.toString());
    assertEquals(1, r.code(), r.all());
    assertTrue(r.err().contains("needs weights [fc.weight]") && r.err().contains("fc.weights"), r.all());
  }

  @Test
  void wrongShapeInputIsNamed() throws IOException {
    Path x = npy("x.npy", Tensor.fromFloats(new float[8], 2, 4));
    Result r = kiln("run", write("mlp.kir", MLP).toString(), "--input", x.toString());
    assertEquals(1, r.code(), r.all());
    assertEquals("kiln: input 0 (%x) from " + x + ": expected f32[N,3], got f32[2,4] (dim 1 is 4, expected 3)",
        r.err().strip(), r.all());
  }

  @Test
  void wrongInputCountListsTheSignature() throws IOException {
    Result r = kiln("run", write("mlp.kir", MLP).toString());
    assertEquals(1, r.code(), r.all());
    assertTrue(r.err().contains("graph @mlp takes 1 input (%x: f32[N,3]), got 0 --input"), r.all());
  }

  @Test
  void opsListsEveryOpWithItsSummary() {
    Result r = kiln("ops");
    assertEquals(0, r.code(), r.all());
    for (dev.kiln.ir.OpDef op : dev.kiln.ir.ops.Ops.all())
      assertTrue(r.out().contains(op.name() + " ") && r.out().contains(op.summary()), op.name());
  }

  @Test
  void optRunsAPipeline() throws IOException {
    String withDead = MLP.replace("  return(%1)", "  %2 = nn.exp(%1) : f32[N,2]\n  return(%1)");
    Result r = kiln("opt", write("dead.kir", withDead).toString(), "-p", "dce");
    assertEquals(0, r.code(), r.all());
    assertTrue(r.out().contains("nn.relu") && !r.out().contains("nn.exp"), r.all());
    Result bad = kiln("opt", write("dead2.kir", withDead).toString(), "-p", "dce,nonsense");
    assertEquals(1, bad.code(), bad.all());
    assertTrue(bad.err().contains("unknown pass 'nonsense'") && bad.err().contains("known passes: dce"), bad.all());
  }

  @Test
  void helpListsCommandsAndUsageErrorsExitOne() {
    Result help = kiln("--help");
    assertEquals(0, help.code(), help.all());
    for (String c : new String[] {"inspect", "run", "ops", "opt", "passes"}) assertTrue(help.out().contains("  " + c), c + "\n" + help.all());
    Result version = kiln("--version");
    assertEquals(0, version.code());
    assertTrue(version.out().startsWith("kiln "), version.all());
    Result bad = kiln("run", "m.kir", "--frobnicate");
    assertEquals(1, bad.code(), bad.all());
    assertTrue(bad.err().startsWith("kiln: Unknown option: '--frobnicate'") && bad.err().contains("kiln run --help"), bad.all());
  }
}
