package queue

import "container/heap"

// retryHeap holds waiting entries, earliest due first. Each entry knows its
// index so RetryNow can take it out in O(log n).
type retryHeap []*entry

func (h retryHeap) Len() int           { return len(h) }
func (h retryHeap) Less(i, j int) bool { return h[i].due.Before(h[j].due) }
func (h retryHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].index = i
	h[j].index = j
}

// Push and Pop are for container/heap; use push, pop and remove.
func (h *retryHeap) Push(x any) {
	e := x.(*entry)
	e.index = len(*h)
	*h = append(*h, e)
}

func (h *retryHeap) Pop() any {
	old := *h
	e := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	e.index = -1
	return e
}

func (h *retryHeap) push(e *entry)   { heap.Push(h, e) }
func (h *retryHeap) pop() *entry     { return heap.Pop(h).(*entry) }
func (h *retryHeap) remove(e *entry) { heap.Remove(h, e.index) }
