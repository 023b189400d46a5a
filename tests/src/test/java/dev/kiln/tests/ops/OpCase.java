package dev.kiln.tests.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.ir.Graph;
import dev.kiln.ir.PrimType;
import dev.kiln.ir.Type;
import dev.kiln.ir.Value;
import dev.kiln.ir.Verifier;
import dev.kiln.ir.text.IrParser;
import dev.kiln.runtime.KilnRuntimeException;
import dev.kiln.runtime.Npy;
import dev.kiln.runtime.Tensor;
import dev.kiln.runtime.interp.Interpreter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * One fixture written by tests/fixtures/gen_ops.py: {@code <name>.kir}, its inputs {@code <name>.inN.npy} and either
 * the outputs PyTorch computed ({@code <name>.outN.npy}) or the error it must raise ({@code <name>.raises.txt}).
 *
 * @param dir the fixture folder (not null)
 * @param name the case name, which is also the graph's name (not null)
 */
record OpCase(Path dir, String name) {

  Path file(String suffix) { return dir.resolve(name + suffix); }

  /** Parses, verifies and interprets the case, then checks every output against PyTorch's (or the expected error). */
  void check() throws IOException {
    Path kir = file(".kir");
    Graph graph = IrParser.parse(Files.readString(kir), kir.getFileName().toString());
    Verifier.verify(graph);
    List<Object> inputs = inputs(graph);
    Interpreter interpreter = new Interpreter(graph, Map.of());
    Path raises = file(".raises.txt");
    if (Files.exists(raises)) {
      String expected = Files.readString(raises).strip();
      KilnRuntimeException e = assertThrows(KilnRuntimeException.class, () -> interpreter.run(inputs),
          name + ": the run should fail with '" + expected + "'");
      assertTrue(e.getMessage() != null && e.getMessage().contains(expected),
          name + ": the error should contain '" + expected + "', got: " + e.getMessage());
      return;
    }
    List<Object> actual = interpreter.run(inputs);
    List<Tensor> expected = new ArrayList<>();
    for (int i = 0; Files.exists(file(".out" + i + ".npy")); i++) expected.add(Npy.read(file(".out" + i + ".npy")));
    assertEquals(expected.size(), actual.size(), name + ": number of outputs");
    for (int i = 0; i < expected.size(); i++) OutputMatcher.check(name + " output " + i, expected.get(i), actual.get(i));
  }

  /** The run-time inputs: a number or bool parameter takes the element of its 0-dim file, anything else the tensor. */
  private List<Object> inputs(Graph graph) {
    List<Object> inputs = new ArrayList<>();
    List<Value> params = graph.params();
    for (int i = 0; i < params.size(); i++) {
      Path p = file(".in" + i + ".npy");
      assertTrue(Files.exists(p), name + ": parameter " + i + " (%" + params.get(i).name() + ") has no input file " + p.getFileName());
      Tensor t = Npy.read(p);
      Type type = params.get(i).type();
      if (type == PrimType.INT) inputs.add(scalar(t, p).toLongArray()[0]);
      else if (type == PrimType.FLOAT) inputs.add(scalar(t, p).toDoubleArray()[0]);
      else if (type == PrimType.BOOL) inputs.add(scalar(t, p).toLongArray()[0] != 0);
      else inputs.add(t);
    }
    assertTrue(!Files.exists(file(".in" + params.size() + ".npy")), name + ": more input files than the graph's " + params.size() + " parameters");
    return inputs;
  }

  private Tensor scalar(Tensor t, Path p) {
    assertEquals(0, t.shape().length, p.getFileName() + ": a number parameter needs a 0-dim npy");
    return t;
  }
}
