// thrust_ops.cu - Thrust, as real programs use it: device_vector, reduce, sort, sort_by_key,
// transform, inclusive_scan, count_if. Its kernels are CUB's heavily templated code (warp
// shuffles, ballots, shared-memory atomics, decoupled look-back), checked against the STL.
#include <thrust/count.h>
#include <thrust/device_vector.h>
#include <thrust/functional.h>
#include <thrust/reduce.h>
#include <thrust/scan.h>
#include <thrust/sort.h>
#include <thrust/transform.h>
#include <algorithm>
#include <cstdio>
#include <numeric>
#include <vector>

struct is_odd {
  __host__ __device__ bool operator()(int x) const { return x & 1; }
};

struct affine {
  __host__ __device__ int operator()(int x) const { return 3 * x - 7; }
};

int main() {
  const int n = 50000;
  std::vector<int> h(n), keys(n);
  unsigned s = 12345;
  for (int i = 0; i < n; i++) {
    s = s * 1103515245u + 12345u;
    h[i] = (int)((s >> 8) % 100000) - 50000;
    keys[i] = (int)(s >> 20) % 1000;
  }
  thrust::device_vector<int> d(h.begin(), h.end());
  long long sum = thrust::reduce(d.begin(), d.end(), 0LL);
  long long odd = thrust::count_if(d.begin(), d.end(), is_odd());
  thrust::transform(d.begin(), d.end(), d.begin(), affine());
  thrust::sort(d.begin(), d.end());
  thrust::inclusive_scan(d.begin(), d.end(), d.begin());
  std::vector<int> out(n);
  thrust::copy(d.begin(), d.end(), out.begin());

  thrust::device_vector<int> dk(keys.begin(), keys.end()), dv(n);
  thrust::sequence(dv.begin(), dv.end());
  thrust::sort_by_key(dk.begin(), dk.end(), dv.begin());
  std::vector<int> sorted_keys(n), sorted_vals(n);
  thrust::copy(dk.begin(), dk.end(), sorted_keys.begin());
  thrust::copy(dv.begin(), dv.end(), sorted_vals.begin());

  long long ref_sum = std::accumulate(h.begin(), h.end(), 0LL);
  long long ref_odd = std::count_if(h.begin(), h.end(), [](int x) { return x & 1; });
  std::vector<int> ref = h;
  for (auto &x : ref) x = 3 * x - 7;
  std::sort(ref.begin(), ref.end());
  std::partial_sum(ref.begin(), ref.end(), ref.begin());
  std::vector<int> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return keys[a] < keys[b]; });

  int failures = 0;
  if (sum != ref_sum) { printf("  reduce %lld want %lld\n", sum, ref_sum); failures++; }
  if (odd != ref_odd) { printf("  count_if %lld want %lld\n", odd, ref_odd); failures++; }
  if (out != ref) { printf("  transform+sort+scan differs\n"); failures++; }
  for (int i = 0; i < n; i++)
    if (sorted_keys[i] != keys[order[i]] || sorted_vals[i] != order[i]) {
      printf("  sort_by_key differs at %d\n", i);
      failures++;
      break;
    }
  printf("%s thrust_ops\n", failures ? "FAIL" : "PASS");
  return failures ? 1 : 0;
}
