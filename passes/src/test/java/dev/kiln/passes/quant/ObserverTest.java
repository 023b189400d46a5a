package dev.kiln.passes.quant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.passes.quant.calib.HistogramObserver;
import dev.kiln.passes.quant.calib.MinMaxObserver;
import dev.kiln.passes.quant.calib.Observer;
import dev.kiln.passes.quant.calib.ObserverKind;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ObserverTest {
  /** 100k normal values plus one far outlier, split over two observations so the histogram has to widen. */
  private static void feed(Observer o) {
    Random r = new Random(1);
    float[] a = new float[50_000], b = new float[50_001];
    for (int i = 0; i < a.length; i++) a[i] = (float) r.nextGaussian();
    for (int i = 0; i < b.length - 1; i++) b[i] = (float) r.nextGaussian();
    b[b.length - 1] = 50f;
    o.observe(a);
    o.observe(b);
  }

  @Test
  void minMaxKeepsTheExtremesAndZero() {
    MinMaxObserver o = new MinMaxObserver();
    o.observe(new float[] {0.5f, 2f, Float.NaN});
    o.observe(new float[] {1f, 3f});
    assertEquals(new Observer.Range(0f, 3f), o.range());
    feed(o);
    assertEquals(50f, o.range().max());
  }

  @Test
  void percentileClipsTheOutlier() {
    Observer o = ObserverKind.PERCENTILE.create();
    feed(o);
    Observer.Range r = o.range();
    // 99.99th percentile of a standard normal is about 3.7; bins of the widened histogram are ~0.03 wide
    assertTrue(r.max() > 3.0f && r.max() < 4.5f, r.toString());
    assertTrue(r.min() < -3.0f && r.min() > -4.5f, r.toString());
  }

  @Test
  void histogramSearchNarrowsToTheBulkWithoutClippingItHard() {
    Observer o = new HistogramObserver(false);
    feed(o);
    Observer.Range r = o.range();
    assertTrue(r.max() < 50f, "the outlier is given up: " + r);
    assertTrue(r.max() > 2.5f && r.min() < -2.5f, "most of the mass stays representable: " + r);
  }

  @Test
  void histogramOfAConstantIsThatConstantAndZero() {
    Observer o = new HistogramObserver(false);
    o.observe(new float[] {2f, 2f, 2f});
    assertEquals(new Observer.Range(0f, 2f), o.range());
    assertEquals(new Observer.Range(0f, 0f), new HistogramObserver(true).range());
  }
}
