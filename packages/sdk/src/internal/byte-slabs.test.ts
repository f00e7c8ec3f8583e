import { describe, expect, test } from "vitest";
import { slabAllocator } from "./byte-slabs.js";

describe("slabAllocator", () => {
  test("hands out disjoint views of shared buffers, exactly as long as asked", () => {
    const allocate = slabAllocator(1024);
    const views = [100, 300, 600, 30, 1000, 1].map((length) => allocate(length));
    expect(views.map((view) => view.length)).toEqual([100, 300, 600, 30, 1000, 1]);
    // Fill each with its index and check that no other view was touched.
    views.forEach((view, i) => {
      view.fill(i + 1);
    });
    views.forEach((view, i) => {
      expect(view.every((byte) => byte === i + 1)).toBe(true);
    });
    // 100 + 300 + 600 fit the first buffer (1,024 bytes); 30 more would not, so it starts the second.
    expect(views[1]?.buffer).toBe(views[0]?.buffer);
    expect(views[2]?.buffer).toBe(views[0]?.buffer);
    expect(views[3]?.buffer).not.toBe(views[0]?.buffer);
  });

  test("gives a record larger than a buffer an array of its own", () => {
    const allocate = slabAllocator(1024);
    const small = allocate(10);
    const large = allocate(5000);
    expect(large.length).toBe(5000);
    expect(large.buffer).not.toBe(small.buffer);
    expect(allocate(10).buffer).toBe(small.buffer);
  });

  test("two allocators never share a buffer", () => {
    const a = slabAllocator(1024);
    const b = slabAllocator(1024);
    expect(a(10).buffer).not.toBe(b(10).buffer);
  });
});
