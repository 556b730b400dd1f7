/*
 * execmem.c -- executable memory for generated code.
 *
 * An arena hands out blocks of executable memory: many small functions share
 * chunks of JC_CHUNK_SIZE bytes (a function larger than that gets a chunk of
 * its own), first fit, 16-byte aligned, with a free list per chunk whose
 * neighbouring ranges coalesce.  A chunk is unmapped when its last block is
 * freed, except that one empty chunk is kept around for reuse.  Everything
 * runs under one pthread mutex: compiles can happen on several threads (cffi
 * releases the GIL during C calls).
 *
 * A page is never writable and executable at the same time, on any
 * platform.  The strategy is chosen once, at first use, by probing in this
 * order, and the next one is tried whenever a later operation is refused
 * (EACCES/EPERM):
 *
 *  1. "mprotect" (Linux and macOS x86-64): private anonymous chunks, mapped
 *     PROT_READ.  Writing code must never make a page writable that another
 *     thread may be executing (other code in the same page keeps running
 *     while we write: the GIL is released).  So a write goes through a
 *     staging copy: mmap a fresh RW region as large as the pages the new
 *     code touches, copy the current bytes of those pages into it, copy the
 *     new code in, mprotect it PROT_READ|PROT_EXEC, then move it over the
 *     target pages in one step (replace_pages: mremap(MREMAP_FIXED) on
 *     Linux, vm_remap(VM_FLAGS_OVERWRITE) on macOS).  The kernel swaps the
 *     pages under its map lock: a thread executing in an old page faults and
 *     continues in the new page, whose bytes at every old offset are
 *     unchanged.  The target is never writable.
 *
 *  2. "dualmap-memfd" / "dualmap-shm" / "dualmap-file" (Linux; the last two
 *     also on other POSIX systems, which lack mremap and memfd): when the
 *     kernel refuses executable anonymous memory (SELinux deny_execmem, PaX
 *     MPROTECT): one shared file -- a memfd, else a POSIX shm object, else a
 *     temp file in $TMPDIR, /dev/shm or /tmp, each unlinked at once -- mapped
 *     twice MAP_SHARED: a R+X view that runs code, and a view that code is
 *     written into, mapped at a random address with no access and made RW
 *     only for the copy (chunk_write).  The fd is closed once both views
 *     are mapped.
 *     Fork trap: MAP_SHARED memory stays shared with a forked child, so
 *     after fork neither process may write into a dual-mapped chunk that
 *     existed before it (each would overwrite the other's code).  Our
 *     pthread_atfork handlers mark every such chunk "frozen" in parent and
 *     child: no new block goes into it and its freed space is never reused;
 *     it is still unmapped once its last block is freed.  On Linux the RW
 *     view is MADV_DONTFORK: a child does not even inherit it, so nothing in
 *     the child can write into the parent's code.
 *
 * macOS x86-64 uses "mprotect" only.  Without the hardened runtime it works
 * as on Linux; a hardened-runtime process needs the
 * com.apple.security.cs.allow-unsigned-executable-memory entitlement, else
 * the kernel refuses the mprotect to PROT_EXEC (EACCES or EPERM, both taken
 * as a refusal) and functions run in CPython.  Not used there, on purpose:
 *   - MAP_JIT, the only executable memory that the com.apple.security.cs.
 *     allow-jit entitlement allows: on Intel Macs it is mapped read, write
 *     and execute at once (pthread_jit_write_protect_np exists only on Apple
 *     silicon), which is what jitcore promises never to do;
 *   - a second, executable view of the same memory (vm_remap of an RW region,
 *     or a shm object or file mapped twice): it gains nothing there, since
 *     a hardened process that refuses mprotect refuses a second executable
 *     view of anonymous memory for the same reason, and executable file
 *     pages go through code-signing checks that a probe which does not run
 *     the code cannot see.
 * Apple silicon is not supported: jitcore emits x86-64 code (Python does not
 * load this module there, runtime.UNAVAILABLE), and no strategy is compiled
 * in for it; its MAP_JIT + pthread_jit_write_protect_np path belongs with an
 * AArch64 back end.
 *
 * Everything that differs between platforms is in the "Platform" section
 * below; the rest of the file is the same everywhere.
 *
 * If every strategy is refused, jc_code_new fails with a message naming each
 * strategy tried and why it failed, and what to do, so Python can run the
 * function in CPython instead (with a warning that says so).
 */
/* Feature macros come before any system header (see "Platform" below). */
#if defined(__linux__)
#  ifndef _GNU_SOURCE
#    define _GNU_SOURCE /* mremap, MREMAP_FIXED, MAP_ANONYMOUS, syscall */
#  endif
#elif defined(__APPLE__)
#  ifndef _DARWIN_C_SOURCE
#    define _DARWIN_C_SOURCE /* MAP_ANON */
#  endif
#endif

#include "jc_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#if !defined(MAP_ANONYMOUS) && defined(MAP_ANON)
#  define MAP_ANONYMOUS MAP_ANON
#endif

#if defined(__GNUC__) || defined(__clang__)
#  define JC_THREAD_LOCAL __thread
#else
#  define JC_THREAD_LOCAL _Thread_local
#endif

/* memfd_create flags (older headers lack them or the wrapper). */
#define JC_MFD_CLOEXEC 0x0001U
#define JC_MFD_EXEC 0x0010U /* Linux 6.3+: ask for an executable memfd */

/* Largest block we accept (sizes are rounded up; keep far from overflow). */
#define JC_MAX_CODE ((size_t)1 << 30)
/* Freed descriptors wait in a queue this long before being reused. */
#define JC_DESC_REUSE_DELAY 256

/* ------------------------------------------------------------------ */
/* Errors                                                               */

static JC_THREAD_LOCAL char tl_error[1536];

void jc_set_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(tl_error, sizeof tl_error, fmt, ap);
    va_end(ap);
}

const char *jc_last_error(void)
{
    return tl_error;
}

/* A failed step inside a strategy: errno and what was being done. */
typedef struct {
    int err;
    char what[640];
} jc_fail;

static int fail(jc_fail *f, int err, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

static int fail(jc_fail *f, int err, const char *fmt, ...)
{
    char buf[384];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    f->err = err;
    snprintf(f->what, sizeof f->what, "%s: %s (errno %d)", buf,
             strerror(err), err);
    return err;
}

static int is_refusal(int err)
{
    return err == EACCES || err == EPERM;
}

/* ------------------------------------------------------------------ */
/* Strategies                                                           */

enum {
    S_MPROTECT,
    S_DUAL_MEMFD,
    S_DUAL_SHM,
    S_DUAL_FILE,
    S_COUNT,
    S_NONE = S_COUNT,
    S_UNSET = -1
};

static const char *const s_names[S_COUNT + 1] = {
    "mprotect", "dualmap-memfd", "dualmap-shm", "dualmap-file", "none",
};

#define S_BIT(s) (1u << (s))
#define S_DUAL_ALL (S_BIT(S_DUAL_MEMFD) | S_BIT(S_DUAL_SHM) | S_BIT(S_DUAL_FILE))

static int is_dual(int s)
{
    return s == S_DUAL_MEMFD || s == S_DUAL_SHM || s == S_DUAL_FILE;
}

/* ------------------------------------------------------------------ */
/* Platform                                                             */
/*
 * Everything that differs between Linux, macOS and other POSIX systems:
 *   S_PLATFORM           the strategies this platform may try, in order;
 *   JC_REFUSED_ADVICE    what the user can do when every one is refused;
 *   JC_CHILD_HAS_NO_WRITE_VIEW  a forked child does not inherit a dual
 *                        mapping's writable view (keep_from_child);
 *   os_random64, os_memfd, keep_from_child, flush_icache, replace_pages.
 * (Its headers are included here, to keep the platform in one place.)
 */

#if defined(__linux__)

#  include <sys/syscall.h>

#  define S_PLATFORM (S_BIT(S_MPROTECT) | S_DUAL_ALL)
#  define JC_REFUSED_ADVICE                                                  \
    "The system forbids run-time code generation (e.g. SELinux "             \
    "deny_execmem, PaX MPROTECT, a seccomp filter, or noexec temporary "     \
    "directories); allow execmem for this process or point TMPDIR at a "     \
    "directory mounted with exec."

#elif defined(__APPLE__) && defined(__x86_64__)

#  include <mach/mach.h> /* vm_remap (mach_vm_remap on 64-bit), mach_task_self */

/* See the top of the file for why not MAP_JIT and not a dual mapping. */
#  define S_PLATFORM S_BIT(S_MPROTECT)
#  define JC_REFUSED_ADVICE                                                  \
    "If this is a hardened-runtime app, give it the "                        \
    "com.apple.security.cs.allow-unsigned-executable-memory entitlement: "   \
    "com.apple.security.cs.allow-jit alone allows only MAP_JIT memory, "     \
    "which on Intel Macs is writable and executable at once, and jitcore "   \
    "never maps a page writable and executable."

#elif defined(__APPLE__)

/* Apple silicon: jitcore emits x86-64 code only (an AArch64 back end, with
 * MAP_JIT and pthread_jit_write_protect_np, is future work). */
#  define S_PLATFORM 0u
#  define JC_REFUSED_ADVICE                                                  \
    "jitcore generates x86-64 code and supports no other macOS machine yet."

#else /* other POSIX: no mremap, no memfd */

#  define S_PLATFORM (S_BIT(S_DUAL_SHM) | S_BIT(S_DUAL_FILE))
#  define JC_REFUSED_ADVICE                                                  \
    "The system forbids run-time code generation; allow it for this "        \
    "process or point TMPDIR at a directory mounted with exec."

#endif

#if defined(MADV_DONTFORK)
#  define JC_CHILD_HAS_NO_WRITE_VIEW 1
#else
#  define JC_CHILD_HAS_NO_WRITE_VIEW 0
#endif

/* 64 random bits from the kernel into *r; 0, or -1 if there are none. */
static int os_random64(uint64_t *r)
{
#if defined(__linux__) && defined(SYS_getrandom)
    return syscall(SYS_getrandom, r, sizeof *r, 0) == (long)sizeof *r ? 0 : -1;
#else
    (void)r;
    return -1;
#endif
}

/* A new memfd, close-on-exec (executable if the kernel lets us say so), or
 * -1 with errno set. */
static int os_memfd(void)
{
#if defined(__linux__) && defined(SYS_memfd_create)
    long fd = syscall(SYS_memfd_create, "jitcore", JC_MFD_CLOEXEC | JC_MFD_EXEC);
    if (fd < 0 && (errno == EINVAL || errno == EACCES || errno == EPERM))
        /* EINVAL: kernel older than 6.3 without MFD_EXEC; EACCES/EPERM:
         * vm.memfd_noexec refuses MFD_EXEC.  Try a plain memfd; whether it
         * may be mapped executable is decided by the mmap of its view. */
        fd = syscall(SYS_memfd_create, "jitcore", JC_MFD_CLOEXEC);
    return (int)fd;
#else
    errno = ENOSYS;
    return -1;
#endif
}

/* A forked child does not get [p, p+n) (a dual mapping's writable view):
 * through it the child could rewrite the parent's code, since the pages
 * are shared (the child's chunks are frozen anyway, see atfork_child).
 * 0, or an errno. */
static int keep_from_child(void *p, size_t n)
{
#if JC_CHILD_HAS_NO_WRITE_VIEW
    return madvise(p, n, MADV_DONTFORK) == 0 ? 0 : errno;
#else
    (void)p;
    (void)n;
    return 0;
#endif
}

static void flush_icache(void *p, size_t len)
{
#if (defined(__GNUC__) || defined(__clang__)) && \
    !defined(__x86_64__) && !defined(__i386__)
    __builtin___clear_cache((char *)p, (char *)p + len);
#else
    (void)p; /* x86 keeps instruction and data caches coherent */
    (void)len;
#endif
}

#if defined(__APPLE__) && defined(__x86_64__)
/* The errno closest to a Mach error. */
static int kern_errno(kern_return_t kr)
{
    switch (kr) {
    case KERN_PROTECTION_FAILURE:
        return EACCES;
    case KERN_NO_SPACE:
    case KERN_RESOURCE_SHORTAGE:
        return ENOMEM;
    default:
        return EINVAL;
    }
}
#endif

/* Move the n bytes (whole pages) of `staging`, already PROT_READ|PROT_EXEC,
 * over `target` in one step, replacing the pages there; staging is unmapped
 * whether or not this succeeds, and on failure target is unchanged.  0, or
 * an errno (with f filled in). */
static int replace_pages(unsigned char *staging, size_t n,
                         unsigned char *target, jc_fail *f)
{
#if defined(__linux__)
    if (mremap(staging, n, n, MREMAP_MAYMOVE | MREMAP_FIXED, target) == MAP_FAILED) {
        int e = errno;
        munmap(staging, n);
        return fail(f, e, "mremap(MREMAP_FIXED) of the staging area");
    }
    return 0;
#elif defined(__APPLE__) && defined(__x86_64__)
    /* macOS has no mremap.  vm_remap with VM_FLAGS_OVERWRITE replaces the
     * target's mapping by the staging pages under the map lock, like
     * mremap(MREMAP_FIXED); copy=FALSE shares the staging pages instead of
     * copying them, so unmapping the staging view afterwards leaves the
     * target the only mapping of them.  Their protection (R+X) comes along. */
    vm_address_t dst = (vm_address_t)target;
    vm_prot_t cur, max;
    kern_return_t kr = vm_remap(mach_task_self(), &dst, n, 0,
                                VM_FLAGS_FIXED | VM_FLAGS_OVERWRITE,
                                mach_task_self(), (vm_address_t)staging,
                                FALSE, &cur, &max, VM_INHERIT_COPY);
    munmap(staging, n);
    if (kr != KERN_SUCCESS)
        return fail(f, kern_errno(kr), "vm_remap(VM_FLAGS_OVERWRITE) of the "
                    "staging area (kern_return_t %d)", (int)kr);
    if (dst != (vm_address_t)target) /* VM_FLAGS_FIXED: never, but be sure */
        return fail(f, EINVAL, "vm_remap put the code elsewhere");
    return 0;
#else
    (void)target;
    munmap(staging, n);
    return fail(f, ENOSYS, "replacing pages in one step (mremap)");
#endif
}

/* ------------------------------------------------------------------ */
/* Arena state (all under g_lock)                                       */

typedef struct jc_range {
    size_t off, size;
    struct jc_range *next; /* sorted by offset */
} jc_range;

typedef struct jc_chunk {
    struct jc_chunk *next, *prev;
    unsigned char *exec;  /* the view that runs */
    unsigned char *write; /* the RW view (dual mapping only) */
    size_t size;
    int strategy;
    int frozen;           /* never allocate into it again */
    size_t nlive;         /* live blocks */
    jc_range *free;       /* free ranges (unused while frozen) */
} jc_chunk;

static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t g_once = PTHREAD_ONCE_INIT;
static size_t g_page = 4096;
static size_t g_chunk_size = JC_CHUNK_SIZE;
static jc_chunk *g_chunks;
static jc_chunk *g_spare;       /* the one empty chunk kept for reuse */
static int g_need_reap;         /* frozen empty chunks wait to be unmapped */
static int g_strategy = S_UNSET;
static unsigned g_allowed = S_PLATFORM;
static unsigned g_refused;
static char g_tried[1200];      /* "name: why; name: why" of refusals */
static size_t g_nchunks, g_mapped, g_live_bytes, g_live_blocks;
static jc_code *g_desc_head, *g_desc_tail;
static size_t g_desc_queued;

static size_t round_up(size_t n, size_t to)
{
    return (n + to - 1) / to * to;
}

/* ------------------------------------------------------------------ */
/* Random names for shm objects and temp files                          */

static uint64_t jc_random(void)
{
    static uint64_t counter;
    struct timespec ts;
    uint64_t x;
    clock_gettime(CLOCK_REALTIME, &ts);
    x = (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 30) ^
        ((uint64_t)getpid() << 16) ^ (uint64_t)(uintptr_t)&ts ^
        (++counter * 0x9e3779b97f4a7c15ULL);
    /* splitmix64 finaliser */
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebULL;
    x ^= x >> 31;
    return x;
}

static void set_cloexec(int fd)
{
    int fl = fcntl(fd, F_GETFD);
    if (fl >= 0)
        fcntl(fd, F_SETFD, fl | FD_CLOEXEC);
}

/* ------------------------------------------------------------------ */
/* Dual mapping: backing files                                          */

/* Where to ask the kernel to put a writable view: a random page in
 * [2^44, 2^46), so that it is not next to the code it writes (the kernel
 * puts consecutive mappings side by side).  Only a hint: if the range is
 * taken, the kernel picks another place. */
static void *random_hint(void)
{
    uint64_t r = 0;
    if (os_random64(&r) != 0)
        r = jc_random();
    return (void *)(uintptr_t)(((uint64_t)1 << 44) + (r & (((uint64_t)3 << 44) - 1) & ~(uint64_t)0xFFFFF));
}

/* Map `fd` (closed here in every case) twice: R+X into c->exec, and a view
 * with no access at all into c->write, at a random address.  chunk_write
 * makes the pages it writes RW for the copy and takes the access away
 * again, so outside a write nothing can write into the code through it. */
static int dual_map_fd(int fd, size_t size, jc_chunk *c, jc_fail *f,
                       const char *label)
{
    void *w, *x;
    int e;
    if (ftruncate(fd, (off_t)size) != 0) {
        e = errno;
        close(fd);
        return fail(f, e, "%s: ftruncate", label);
    }
    w = mmap(random_hint(), size, PROT_NONE, MAP_SHARED, fd, 0);
    if (w == MAP_FAILED) {
        e = errno;
        close(fd);
        return fail(f, e, "%s: mmap(PROT_NONE, MAP_SHARED)", label);
    }
    e = keep_from_child(w, size);
    if (e != 0) {
        munmap(w, size);
        close(fd);
        return fail(f, e, "%s: madvise(MADV_DONTFORK)", label);
    }
    x = mmap(NULL, size, PROT_READ | PROT_EXEC, MAP_SHARED, fd, 0);
    if (x == MAP_FAILED) {
        e = errno;
        munmap(w, size);
        close(fd);
        return fail(f, e, "%s: mmap(PROT_READ|PROT_EXEC, MAP_SHARED)", label);
    }
    close(fd); /* the two mappings keep the file alive */
    c->write = (unsigned char *)w;
    c->exec = (unsigned char *)x;
    return 0;
}

static int map_memfd(size_t size, jc_chunk *c, jc_fail *f)
{
    int fd = os_memfd();
    if (fd < 0)
        return fail(f, errno, "memfd_create");
    return dual_map_fd(fd, size, c, f, "memfd");
}

static int map_shm(size_t size, jc_chunk *c, jc_fail *f)
{
    char name[48];
    int i, fd = -1;
    for (i = 0; i < 16; i++) {
        /* at most 31 characters: macOS limit */
        snprintf(name, sizeof name, "/jc%ld_%016llx", (long)getpid() % 10000000L,
                 (unsigned long long)jc_random());
        fd = shm_open(name, O_RDWR | O_CREAT | O_EXCL, 0600);
        if (fd >= 0 || errno != EEXIST)
            break;
    }
    if (fd < 0)
        return fail(f, errno, "shm_open");
    shm_unlink(name);
    set_cloexec(fd);
    return dual_map_fd(fd, size, c, f, "shm");
}

/* The temp-file directory that worked last time (index into the list). */
static int g_file_dir = -1;

static int map_file(size_t size, jc_chunk *c, jc_fail *f)
{
    const char *dirs[3];
    char whys[640];
    size_t used = 0;
    int n = 0, i, order;
    const char *tmpdir = getenv("TMPDIR");
    if (tmpdir && *tmpdir)
        dirs[n++] = tmpdir;
    dirs[n++] = "/dev/shm";
    dirs[n++] = "/tmp";
    whys[0] = '\0';
    for (order = 0; order < n + 1; order++) {
        char path[1024];
        int fd, rc;
        /* first the directory that worked before, then all in order */
        if (order == 0) {
            if (g_file_dir < 0 || g_file_dir >= n)
                continue;
            i = g_file_dir;
        } else {
            i = order - 1;
            if (i == g_file_dir)
                continue;
        }
        if (snprintf(path, sizeof path, "%s/jitcore-XXXXXX", dirs[i]) >=
            (int)sizeof path)
            continue;
        fd = mkstemp(path);
        if (fd < 0) {
            fail(f, errno, "mkstemp(%s)", path);
        } else {
            unlink(path);
            set_cloexec(fd);
            rc = dual_map_fd(fd, size, c, f, dirs[i]);
            if (rc == 0) {
                g_file_dir = i;
                return 0;
            }
        }
        if (used < sizeof whys)
            used += (size_t)snprintf(whys + used, sizeof whys - used, "%s%s",
                                     used ? "; " : "", f->what);
    }
    snprintf(f->what, sizeof f->what, "%s", whys);
    return f->err;
}

/* ------------------------------------------------------------------ */
/* Chunks: map, write, unmap                                            */

/* Map a chunk of `size` bytes with strategy s into c (exec/write only). */
static int chunk_map(int s, size_t size, jc_chunk *c, jc_fail *f)
{
    void *p;
    c->exec = c->write = NULL;
    switch (s) {
    case S_MPROTECT:
        p = mmap(NULL, size, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED)
            return fail(f, errno, "mmap(PROT_READ, MAP_PRIVATE|MAP_ANONYMOUS)");
        c->exec = (unsigned char *)p;
        return 0;
    case S_DUAL_MEMFD:
        return map_memfd(size, c, f);
    case S_DUAL_SHM:
        return map_shm(size, c, f);
    case S_DUAL_FILE:
        return map_file(size, c, f);
    default:
        return fail(f, EINVAL, "unknown strategy");
    }
}

static void chunk_unmap(jc_chunk *c)
{
    if (c->exec)
        munmap(c->exec, c->size);
    if (c->write)
        munmap(c->write, c->size);
    c->exec = c->write = NULL;
}

/* Copy len bytes of code to offset off of chunk c. */
static int chunk_write(jc_chunk *c, size_t off, const unsigned char *src,
                       size_t len, jc_fail *f)
{
    if (off > c->size || len > c->size - off)
        return fail(f, EINVAL, "write outside its chunk");
    switch (c->strategy) {
    case S_MPROTECT: {
        /* Staging copy + atomic page replacement; see the top of the file. */
        size_t start = off / g_page * g_page;
        size_t n = round_up(off + len, g_page) - start;
        unsigned char *target = c->exec + start;
        unsigned char *st;
        void *p = mmap(NULL, n, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED)
            return fail(f, errno, "mmap of a RW staging area");
        st = (unsigned char *)p;
        memcpy(st, target, n);
        memcpy(st + (off - start), src, len);
        if (mprotect(st, n, PROT_READ | PROT_EXEC) != 0) {
            int e = errno;
            munmap(st, n);
            return fail(f, e, "mprotect(PROT_READ|PROT_EXEC) of anonymous memory");
        }
        if (replace_pages(st, n, target, f) != 0)
            return f->err;
        flush_icache(c->exec + off, len);
        return 0;
    }
    case S_DUAL_MEMFD:
    case S_DUAL_SHM:
    case S_DUAL_FILE: {
        /* The writable view is writable only for the copy (dual_map_fd). */
        size_t start = off / g_page * g_page;
        size_t n = round_up(off + len, g_page) - start;
        if (mprotect(c->write + start, n, PROT_READ | PROT_WRITE) != 0)
            return fail(f, errno, "mprotect(PROT_READ|PROT_WRITE) of the writable view");
        memcpy(c->write + off, src, len);
        if (mprotect(c->write + start, n, PROT_NONE) != 0) {
            int e = errno;
            /* Never leave it writable: unmap it (this chunk takes no more code). */
            munmap(c->write, c->size);
            c->write = NULL;
            c->frozen = 1;
            return fail(f, e, "mprotect(PROT_NONE) of the writable view");
        }
        flush_icache(c->exec + off, len);
        return 0;
    }
    default:
        return fail(f, EINVAL, "unknown strategy");
    }
}

/* Can strategy s be used?  Maps one page, writes a `ret` into it. */
static int probe(int s, jc_fail *f)
{
    static const unsigned char ret = 0xC3;
    jc_chunk c;
    int rc;
    memset(&c, 0, sizeof c);
    c.size = g_page;
    c.strategy = s;
    rc = chunk_map(s, c.size, &c, f);
    if (rc != 0)
        return rc;
    rc = chunk_write(&c, 0, &ret, 1, f);
    chunk_unmap(&c);
    return rc;
}

/* ------------------------------------------------------------------ */
/* Chunk list and free ranges                                           */

static void chunk_destroy(jc_chunk *c)
{
    jc_range *r = c->free;
    while (r) {
        jc_range *next = r->next;
        free(r);
        r = next;
    }
    if (c->prev)
        c->prev->next = c->next;
    else
        g_chunks = c->next;
    if (c->next)
        c->next->prev = c->prev;
    if (g_spare == c)
        g_spare = NULL;
    g_nchunks--;
    g_mapped -= c->size;
    chunk_unmap(c);
    free(c);
}

static jc_chunk *chunk_new(int s, size_t size, jc_fail *f)
{
    jc_chunk *c = (jc_chunk *)calloc(1, sizeof *c);
    jc_range *r = (jc_range *)malloc(sizeof *r);
    if (!c || !r) {
        free(c);
        free(r);
        fail(f, ENOMEM, "malloc");
        return NULL;
    }
    c->size = size;
    c->strategy = s;
    if (chunk_map(s, size, c, f) != 0) {
        free(c);
        free(r);
        return NULL;
    }
    r->off = 0;
    r->size = size;
    r->next = NULL;
    c->free = r;
    c->next = g_chunks;
    if (g_chunks)
        g_chunks->prev = c;
    g_chunks = c;
    g_nchunks++;
    g_mapped += size;
    return c;
}

/* First fit inside one chunk. */
static int range_take(jc_chunk *c, size_t need, size_t *off)
{
    jc_range **pr;
    for (pr = &c->free; *pr; pr = &(*pr)->next) {
        jc_range *r = *pr;
        if (r->size >= need) {
            *off = r->off;
            r->off += need;
            r->size -= need;
            if (r->size == 0) {
                *pr = r->next;
                free(r);
            }
            return 1;
        }
    }
    return 0;
}

/* Give [off, off+size) back, merging with neighbours. */
static void range_give(jc_chunk *c, size_t off, size_t size)
{
    jc_range *prev = NULL, *next = c->free, *r;
    while (next && next->off < off) {
        prev = next;
        next = next->next;
    }
    if (prev && prev->off + prev->size == off) {
        prev->size += size;
        if (next && prev->off + prev->size == next->off) {
            prev->size += next->size;
            prev->next = next->next;
            free(next);
        }
        return;
    }
    if (next && off + size == next->off) {
        next->off = off;
        next->size += size;
        return;
    }
    r = (jc_range *)malloc(sizeof *r);
    if (!r)
        return; /* out of memory: the space is lost until the chunk goes */
    r->off = off;
    r->size = size;
    r->next = next;
    if (prev)
        prev->next = r;
    else
        c->free = r;
}

/* A chunk whose last block went away: keep one as spare, unmap others. */
static void chunk_emptied(jc_chunk *c)
{
    if (!c->frozen && !g_spare && c->size == g_chunk_size &&
        c->strategy == g_strategy) {
        g_spare = c;
        return;
    }
    chunk_destroy(c);
}

/* Unmap frozen chunks that have no live block left. */
static void reap_frozen(void)
{
    jc_chunk *c = g_chunks;
    g_need_reap = 0;
    while (c) {
        jc_chunk *next = c->next;
        if (c->frozen && c->nlive == 0)
            chunk_destroy(c);
        c = next;
    }
}

static void freeze_all(void)
{
    jc_chunk *c;
    for (c = g_chunks; c; c = c->next)
        c->frozen = 1;
    g_spare = NULL;
}

/* ------------------------------------------------------------------ */
/* Choosing a strategy                                                  */

static void refuse(int s, const jc_fail *f)
{
    size_t used = strlen(g_tried);
    jc_chunk *c;
    g_refused |= S_BIT(s);
    if (used < sizeof g_tried - 1)
        snprintf(g_tried + used, sizeof g_tried - used, "%s%s: %s",
                 used ? "; " : "", s_names[s], f->what);
    /* its chunks cannot be written any more: retire them */
    for (c = g_chunks; c; c = c->next)
        if (c->strategy == s)
            c->frozen = 1;
    if (g_spare && g_spare->frozen)
        g_spare = NULL;
    reap_frozen();
}

static int select_strategy(void)
{
    int s;
    if (g_strategy != S_UNSET)
        return g_strategy;
    for (s = 0; s < S_COUNT; s++) {
        jc_fail f;
        if (!(g_allowed & S_BIT(s)) || (g_refused & S_BIT(s)))
            continue;
        memset(&f, 0, sizeof f);
        if (probe(s, &f) == 0) {
            g_strategy = s;
            return s;
        }
        refuse(s, &f);
    }
    g_strategy = S_NONE;
    return S_NONE;
}

static void set_none_error(void)
{
    if (g_allowed == 0 && S_PLATFORM != 0) {
        jc_set_error("jitcore: executable memory is disabled "
                     "(jc_force_strategy(\"none\"))");
        return;
    }
    jc_set_error(
        "jitcore: cannot get executable memory; every strategy was refused: "
        "%s. " JC_REFUSED_ADVICE,
        g_tried[0] ? g_tried : "(no strategy available on this platform)");
}

/* ------------------------------------------------------------------ */
/* Fork                                                                 */

static void atfork_prepare(void)
{
    pthread_mutex_lock(&g_lock);
}

/* In parent and child alike: dual-mapped chunks are shared with the other
 * process now, so neither may write into them again. */
static void atfork_after(void)
{
    jc_chunk *c;
    for (c = g_chunks; c; c = c->next) {
        if (is_dual(c->strategy)) {
            c->frozen = 1;
            if (c->nlive == 0)
                g_need_reap = 1; /* unmapped at the next arena call */
        }
    }
    if (g_spare && g_spare->frozen)
        g_spare = NULL;
    pthread_mutex_unlock(&g_lock);
}

static long g_unlocked_calls; /* calls under way that may run without the GIL */
static jc_code *g_deferred;     /* freed while g_unlocked_calls > 0; under g_lock */
static void release_block(jc_code *code);

/* In the child only the forking thread exists, and it is not inside a call
 * (fork is called from Python): no call is under way any more. */
static void atfork_child(void)
{
#if JC_CHILD_HAS_NO_WRITE_VIEW
    /* The writable views were not inherited (dual_map_fd): forget them, so
     * that unmapping a chunk never hits whatever is mapped there later. */
    for (jc_chunk *c = g_chunks; c; c = c->next)
        if (is_dual(c->strategy))
            c->write = NULL;
#endif
    g_unlocked_calls = 0;
    while (g_deferred) {
        jc_code *code = g_deferred;
        g_deferred = code->next;
        release_block(code);
    }
    atfork_after();
}

static void init_once(void)
{
    long ps = sysconf(_SC_PAGESIZE);
    if (ps > 0)
        g_page = (size_t)ps;
    g_chunk_size = round_up(JC_CHUNK_SIZE, g_page);
    pthread_atfork(atfork_prepare, atfork_after, atfork_child);
}

static void lock_arena(void)
{
    pthread_once(&g_once, init_once);
    pthread_mutex_lock(&g_lock);
    if (g_need_reap)
        reap_frozen();
}

static void unlock_arena(void)
{
    pthread_mutex_unlock(&g_lock);
}

/* ------------------------------------------------------------------ */
/* Descriptors: recycled, never freed, reuse delayed                    */

static jc_code *desc_get(void)
{
    jc_code *d;
    if (g_desc_queued > JC_DESC_REUSE_DELAY) {
        d = g_desc_head;
        g_desc_head = d->next;
        if (!g_desc_head)
            g_desc_tail = NULL;
        g_desc_queued--;
        memset(d, 0, sizeof *d);
        return d;
    }
    return (jc_code *)calloc(1, sizeof *d);
}

static void desc_put(jc_code *d)
{
    d->magic = 0;
    d->addr = 0;
    d->len = 0;
    d->chunk = NULL;
    d->next = NULL;
    if (g_desc_tail)
        g_desc_tail->next = d;
    else
        g_desc_head = d;
    g_desc_tail = d;
    g_desc_queued++;
}

/* ------------------------------------------------------------------ */
/* Public API                                                           */

int jc_code_new(const unsigned char *bytes, size_t len, jc_code **out)
{
    size_t need;
    jc_code *d;
    if (!out) {
        jc_set_error("jc_code_new: out is NULL");
        return -1;
    }
    *out = NULL;
    if (!bytes || len == 0) {
        jc_set_error("jc_code_new: no code (NULL pointer or length 0)");
        return -1;
    }
    if (len > JC_MAX_CODE) {
        jc_set_error("jc_code_new: %zu bytes of code is too large (max %zu)",
                     len, JC_MAX_CODE);
        return -1;
    }
    need = round_up(len, JC_CODE_ALIGN);

    lock_arena();
    d = desc_get();
    if (!d) {
        unlock_arena();
        jc_set_error("jc_code_new: out of memory");
        return -1;
    }
    for (;;) {
        jc_fail f;
        jc_chunk *c;
        size_t off = 0;
        int s = select_strategy();
        if (s == S_NONE) {
            desc_put(d);
            set_none_error();
            unlock_arena();
            return -1;
        }
        memset(&f, 0, sizeof f);
        for (c = g_chunks; c; c = c->next)
            if (c->strategy == s && !c->frozen && range_take(c, need, &off))
                break;
        if (!c) {
            size_t size = need <= g_chunk_size ? g_chunk_size
                                               : round_up(need, g_page);
            c = chunk_new(s, size, &f);
            if (!c) {
                if (is_refusal(f.err)) {
                    refuse(s, &f);
                    g_strategy = S_UNSET;
                    continue;
                }
                desc_put(d);
                unlock_arena();
                jc_set_error("jitcore: cannot map executable memory (%s): %s",
                             s_names[s], f.what);
                return -1;
            }
            range_take(c, need, &off);
            /* A chunk of its own for a large block: nothing else goes into
             * it, so it is unmapped together with its block. */
            if (size > g_chunk_size)
                c->frozen = 1;
        }
        if (c->nlive == 0 && g_spare == c)
            g_spare = NULL;
        if (chunk_write(c, off, bytes, len, &f) != 0) {
            range_give(c, off, need);
            if (c->nlive == 0)
                chunk_emptied(c);
            if (is_refusal(f.err)) {
                refuse(s, &f);
                g_strategy = S_UNSET;
                continue;
            }
            desc_put(d);
            unlock_arena();
            jc_set_error("jitcore: cannot write executable memory (%s): %s",
                         s_names[s], f.what);
            return -1;
        }
        c->nlive++;
        g_live_blocks++;
        g_live_bytes += need;
        d->addr = (uintptr_t)(c->exec + off);
        d->len = len;
        d->alloc = need;
        d->off = off;
        d->chunk = c;
        d->next = NULL;
        d->magic = JC_CODE_MAGIC;
        unlock_arena();
        *out = d;
        return 0;
    }
}

/* ------------------------------------------------------------------ */
/* Calls without the GIL (call.c): freeing waits until they end         */
/*
 * A call that runs without the GIL (every call through cffi, and the nogil
 * fast path) may be executing any block it can reach -- its own, or a
 * callee's through a cell -- while another thread frees one of them.  So
 * while such calls are under way, jc_code_free only retires the handle and
 * queues the block; the last call to end hands the queue back to the arena.
 * A block is unreachable for calls that start after it was freed (the
 * dispatcher points cells elsewhere first), so only calls already under way
 * matter, and they are the ones counted.
 */

void jc_unlocked_call_begin(void)
{
    __atomic_add_fetch(&g_unlocked_calls, 1, __ATOMIC_SEQ_CST);
}

void jc_unlocked_call_end(void)
{
    if (__atomic_sub_fetch(&g_unlocked_calls, 1, __ATOMIC_SEQ_CST) != 0
        || __atomic_load_n(&g_deferred, __ATOMIC_SEQ_CST) == NULL)
        return;
    lock_arena();
    while (g_deferred && __atomic_load_n(&g_unlocked_calls, __ATOMIC_SEQ_CST) == 0) {
        jc_code *code = g_deferred;
        __atomic_store_n(&g_deferred, code->next, __ATOMIC_SEQ_CST);
        release_block(code);
    }
    unlock_arena();
}

void jc_code_free(jc_code *code)
{
    if (!code)
        return;
    lock_arena();
    if (code->magic != JC_CODE_MAGIC || !code->chunk) {
        unlock_arena();
        return; /* already freed or not ours */
    }
    code->magic = 0; /* the handle is dead at once, whether or not the memory waits */
    if (__atomic_load_n(&g_unlocked_calls, __ATOMIC_SEQ_CST) > 0) {
        code->next = g_deferred;
        __atomic_store_n(&g_deferred, code, __ATOMIC_SEQ_CST);
        unlock_arena();
        return;
    }
    release_block(code);
    unlock_arena();
}

/* Give a block's memory back to its chunk; under g_lock. */
static void release_block(jc_code *code)
{
    jc_chunk *c = code->chunk;
    c->nlive--;
    g_live_blocks--;
    g_live_bytes -= code->alloc;
    if (!c->frozen)
        range_give(c, code->off, code->alloc);
    desc_put(code);
    if (c->nlive == 0)
        chunk_emptied(c);
}

uintptr_t jc_code_address(const jc_code *code)
{
    if (!code || code->magic != JC_CODE_MAGIC) {
        jc_set_error("jc_code_address: invalid or freed code handle");
        return 0;
    }
    return code->addr;
}

size_t jc_code_size(const jc_code *code)
{
    if (!code || code->magic != JC_CODE_MAGIC) {
        jc_set_error("jc_code_size: invalid or freed code handle");
        return 0;
    }
    return code->len;
}

int jc_code_read(const jc_code *code, unsigned char *buf, size_t len)
{
    if (!code || code->magic != JC_CODE_MAGIC) {
        jc_set_error("jc_code_read: invalid or freed code handle");
        return -1;
    }
    if (len > code->len) {
        jc_set_error("jc_code_read: %zu bytes asked, the block holds %zu",
                     len, code->len);
        return -1;
    }
    if (len && !buf) {
        jc_set_error("jc_code_read: buf is NULL");
        return -1;
    }
    if (len)
        memcpy(buf, (const void *)code->addr, len);
    return 0;
}

const char *jc_strategy(void)
{
    int s;
    lock_arena();
    s = select_strategy();
    unlock_arena();
    return s_names[s];
}

int jc_force_strategy(const char *name)
{
    unsigned mask;
    int s, none = 0;
    if (!name) {
        jc_set_error("jc_force_strategy: name is NULL");
        return -1;
    }
    if (strcmp(name, "auto") == 0) {
        mask = S_PLATFORM;
    } else if (strcmp(name, "dualmap") == 0) {
        mask = S_DUAL_ALL & S_PLATFORM;
    } else if (strcmp(name, "none") == 0) {
        mask = 0;
        none = 1;
    } else {
        for (s = 0; s < S_COUNT; s++)
            if (strcmp(name, s_names[s]) == 0)
                break;
        if (s == S_COUNT) {
            jc_set_error("jc_force_strategy: unknown strategy \"%s\" (expected "
                         "auto, mprotect, dualmap, dualmap-memfd, dualmap-shm, "
                         "dualmap-file or none)", name);
            return -1;
        }
        mask = S_BIT(s) & S_PLATFORM;
    }
    if (!mask && !none) {
        jc_set_error("jc_force_strategy: \"%s\" is not available on this "
                     "platform", name);
        return -1;
    }
    lock_arena();
    /* Retire every existing chunk: its blocks stay valid, but no new code
     * goes there and it is unmapped once empty. */
    freeze_all();
    reap_frozen();
    g_allowed = mask;
    g_refused = 0;
    g_tried[0] = '\0';
    g_strategy = none ? S_NONE : S_UNSET;
    s = select_strategy();
    if (s == S_NONE && !none) {
        set_none_error();
        unlock_arena();
        return -1;
    }
    unlock_arena();
    return 0;
}

void jc_stats(size_t *chunks, size_t *bytes_mapped, size_t *bytes_live,
              size_t *blocks_live)
{
    lock_arena();
    if (chunks)
        *chunks = g_nchunks;
    if (bytes_mapped)
        *bytes_mapped = g_mapped;
    if (bytes_live)
        *bytes_live = g_live_bytes;
    if (blocks_live)
        *blocks_live = g_live_blocks;
    unlock_arena();
}
