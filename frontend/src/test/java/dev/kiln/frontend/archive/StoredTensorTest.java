package dev.kiln.frontend.archive;

import static org.junit.jupiter.api.Assertions.*;

import dev.kiln.ir.DType;
import dev.kiln.runtime.Tensor;
import org.junit.jupiter.api.Test;

/** Strided views of one storage, from the "views" fixture (a parameter, its transpose, a window and a tied copy). */
class StoredTensorTest {
  private final TorchObject root = TorchArchive.open(Fixtures.model("views", "scripted.pt")).root();

  private StoredTensor t(String name) { return (StoredTensor) root.get(name); }

  @Test
  void viewsShareOneStorage() {
    StoredTensor w = t("weight"), wt = t("weight_t"), win = t("window"), tied = t("tied");
    assertSame(w.storage(), wt.storage());
    assertSame(w.storage(), win.storage());
    assertSame(w.storage(), tied.storage());
    assertEquals(24, w.storage().numel());
    assertEquals(96, w.storage().byteSize());
    assertTrue(w.isContiguous() && tied.isContiguous());
    assertArrayEquals(w.toFloatArray(), tied.toFloatArray());
  }

  @Test
  void transposeIsNonContiguousAndCopiedInRowMajorOrder() {
    StoredTensor wt = t("weight_t");
    assertArrayEquals(new long[] {6, 4}, wt.sizes());
    assertArrayEquals(new long[] {1, 6}, wt.strides());
    assertFalse(wt.isContiguous());
    TorchArchiveFixtureTest.assertMatches("views", "weight_t", wt);
    TorchArchiveFixtureTest.assertMatches("views", "weight", t("weight"));
    // element [i][j] of the transpose is element [j][i] of the weight
    float[] w = t("weight").toFloatArray(), tr = wt.toFloatArray();
    for (int i = 0; i < 6; i++) for (int j = 0; j < 4; j++) assertEquals(w[j * 6 + i], tr[i * 4 + j]);
  }

  @Test
  void windowHasAnOffset() {
    StoredTensor win = t("window");
    assertEquals(8, win.storageOffset()); // w[1:3, 2:5] starts at row 1, column 2 of a 4x6 matrix
    assertArrayEquals(new long[] {2, 3}, win.sizes());
    assertArrayEquals(new long[] {6, 1}, win.strides());
    assertFalse(win.isContiguous());
    TorchArchiveFixtureTest.assertMatches("views", "window", win);
    assertEquals(24, win.contiguousBytes().byteSize());
  }

  @Test
  void contiguousBytesSliceTheMappingWithoutCopying() {
    StoredTensor w = t("weight");
    var bytes = w.contiguousBytes();
    assertTrue(bytes.isNative(), "a stored entry is a slice of the mapped file");
    assertTrue(bytes.isReadOnly());
    assertFalse(t("weight_t").contiguousBytes().isNative(), "a strided view is gathered into a heap copy");
  }

  @Test
  void toTensorHonoursStrides() {
    Tensor tt = t("weight_t").toTensor();
    assertEquals(DType.F32, tt.dtype());
    assertArrayEquals(new long[] {6, 4}, tt.shape());
    assertTrue(tt.isContiguous());
    assertArrayEquals(t("weight_t").toFloatArray(), tt.toFloatArray());
    Tensor win = t("window").toTensor();
    assertArrayEquals(t("window").toFloatArray(), win.toFloatArray());
  }
}
