// Package linkwatch keeps an rtnetlink link subscription in a network
// namespace alive.
//
// A subscription's socket has a receive buffer; when the kernel announces
// link changes faster than they are read (a lab of a thousand veths being
// built or torn down), the buffer overflows, the next receive fails with
// ENOBUFS and the subscription ends. Left at that, every later change in the
// namespace would go unseen. A Watcher subscribes with a large buffer, and
// when a subscription ends without being stopped it logs the reason,
// subscribes again and then lists the namespace's links, handing the list
// to its Handler as a resync so the caller can compare it with what it
// believed: links that changed, and links that vanished while nobody was
// listening.
//
//	Watch ──► subscribed ──(channel closed: overflow, receive error)──► lost
//	              ▲                                                      │
//	              │ Resync(list)                  subscribe (backing off │
//	              └──────────── listed ◄──── list ◄──── while it fails) ◄┘
//
// Updates and resyncs reach the Handler on one goroutine, in order. The list
// is taken after the new subscription is in place, so no change falls
// between the two; updates queued on the new subscription before the list
// was taken may repeat what the list already shows, and are delivered after
// it, in order, so the Handler's view ends where the kernel's is.
//
// The kernel code is Linux's; on other systems the package is empty.
package linkwatch
