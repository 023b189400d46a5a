package dev.kiln.frontend.weights;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.frontend.trace.Module;
import dev.kiln.frontend.trace.T;
import dev.kiln.frontend.trace.nn.BatchNorm2d;
import dev.kiln.frontend.trace.nn.Linear;
import dev.kiln.frontend.trace.nn.ReLU;
import dev.kiln.frontend.trace.nn.Sequential;
import dev.kiln.frontend.trace.nn.Tanh;
import dev.kiln.ir.DType;
import dev.kiln.runtime.Npy;
import dev.kiln.runtime.Tensor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** PyTorch state dicts and safetensors files load by PyTorch's names, and every mismatch is named. */
class StateDictTest {
  @TempDir Path tmp;

  /** samples/trace-mlp, written by tests/fixtures/gen_trace.py. */
  static Path mlpDir() {
    for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent())
      if (Files.isDirectory(p.resolve("samples/trace-mlp"))) return p.resolve("samples/trace-mlp");
    throw new IllegalStateException("samples/trace-mlp not found; run /usr/bin/python3 tests/fixtures/gen_trace.py");
  }

  /** The MLP of gen_trace.py: body = Sequential(Linear(8,16), ReLU, Linear(16,16), Tanh), head = Linear(16,4). */
  static final class Mlp extends Module {
    final Sequential body = child("body", new Sequential(new Linear(8, 16), new ReLU(), new Linear(16, 16), new Tanh()));
    final Linear head = child("head", new Linear(16, 4));

    @Override public T forward(T x) { return head.forward(body.forward(x)).softmax(-1).log(); }
  }

  @Test
  void torchSaveStateDictLoadsAndComputesLikePyTorch() {
    Map<String, Tensor> sd = TorchStateDict.read(mlpDir().resolve("mlp.pt"));
    assertEquals(List.of("body.0.weight", "body.0.bias", "body.2.weight", "body.2.bias", "head.weight", "head.bias"),
        List.copyOf(sd.keySet()));
    assertArrayEquals(new long[] {16, 8}, sd.get("body.0.weight").shape());
    Mlp m = new Mlp();
    StateDicts.load(m, mlpDir().resolve("mlp.pt"));
    Tensor y = m.forward(T.of(Npy.read(mlpDir().resolve("input.npy")))).tensor();
    assertTrue(y.allClose(Npy.read(mlpDir().resolve("expected.npy")), 1e-4, 1e-4));
  }

  @Test
  void safetensorsFromPythonHoldTheSameTensors() {
    Map<String, Tensor> pt = StateDicts.read(mlpDir().resolve("mlp.pt"));
    Map<String, Tensor> st = StateDicts.read(mlpDir().resolve("mlp.safetensors"));
    assertEquals(pt.keySet(), st.keySet());
    for (String k : pt.keySet()) assertTrue(pt.get(k).allClose(st.get(k), 0, 0), k);
  }

  @Test
  void safetensorsRoundTripKeepsDtypesAndShapes() {
    Map<String, Tensor> in = new LinkedHashMap<>();
    in.put("a.weight", Tensor.fromFloats(new float[] {1.5f, -2, 3, 4, 5, 6}, 2, 3));
    in.put("a.count", Tensor.fromLongs(new long[] {7}));
    in.put("mask", Tensor.fromBools(new boolean[] {true, false}, 2));
    in.put("d", Tensor.fromDoubles(new double[] {Math.PI}, 1, 1));
    Path f = tmp.resolve("w.safetensors");
    Safetensors.write(f, in);
    Map<String, Tensor> out = StateDicts.read(f);
    assertEquals(List.copyOf(in.keySet()), List.copyOf(out.keySet()));
    for (String k : in.keySet()) {
      assertEquals(in.get(k).dtype(), out.get(k).dtype(), k);
      assertArrayEquals(in.get(k).shape(), out.get(k).shape(), k);
      assertArrayEquals(in.get(k).toDoubleArray(), out.get(k).toDoubleArray(), k);
    }
  }

  @Test
  void missingExtraAndMisShapedParametersAreAllNamedWithTheFile() {
    Map<String, Tensor> sd = new LinkedHashMap<>(StateDicts.read(mlpDir().resolve("mlp.pt")));
    sd.remove("head.bias");
    sd.put("head.scale", Tensor.fromFloats(new float[] {1}, 1));
    sd.put("body.2.weight", Tensor.fromFloats(new float[16 * 8], 16, 8));
    Path f = tmp.resolve("bad.safetensors");
    Safetensors.write(f, sd);
    Mlp m = new Mlp();
    Tensor before = m.head.weight.value();
    WeightsException e = assertThrows(WeightsException.class, () -> StateDicts.load(m, f));
    assertEquals(f + ": state dict does not fit Mlp: mis-shaped body.2.weight: expected f32[16,16], got f32[16,8]; "
        + "missing head.bias (f32[4]); unexpected head.scale", e.getMessage());
    assertTrue(m.head.weight.value() == before, "a failed load changes nothing");
  }

  @Test
  void batchNormBuffersIncludeNumBatchesTracked() {
    BatchNorm2d bn = new BatchNorm2d(3);
    assertEquals(List.of("weight", "bias", "running_mean", "running_var", "num_batches_tracked"), List.copyOf(bn.namedParameters().keySet()));
    Map<String, Tensor> sd = new LinkedHashMap<>(bn.stateDict());
    sd.put("num_batches_tracked", Tensor.fromFloats(new float[] {3}));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> bn.loadStateDict(sd, "bn.pt"));
    assertTrue(e.getMessage().contains("wrong dtype for num_batches_tracked: expected i64[], got f32[]"), e.getMessage());
    assertEquals(DType.I64, bn.numBatchesTracked.dtype());
  }

  @Test
  void aFileThatIsNeitherFormatIsRefusedByName() throws Exception {
    Path f = tmp.resolve("junk.bin");
    Files.write(f, new byte[] {1, 2, 3});
    WeightsException e = assertThrows(WeightsException.class, () -> StateDicts.read(f));
    assertEquals(f + ": 3 bytes, too short for a safetensors header length", e.getMessage());
  }
}
