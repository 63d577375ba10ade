/*
 * deps/musl-compat.h — force-included (-include) into every file of the
 * static musl build of lifeboat.  glibc's headers pull in a few things that
 * musl's, being stricter, leave out; the engine is written and tested
 * against glibc first, so this header papers over the known differences
 * instead of failing the ISO build.  Each entry names why it is here.
 * Keep it tiny: a real fix belongs in the source file that needs it.
 */
#ifndef LB_MUSL_COMPAT_H
#define LB_MUSL_COMPAT_H
/* ext2fs/ext2fs.h uses dev_t and mode_t without including <sys/types.h>. */
#include <sys/types.h>
#include <fcntl.h>
/* glibc's <fcntl.h> includes <linux/falloc.h>; musl defines only
 * KEEP_SIZE and PUNCH_HOLE.  Values from the kernel's uapi falloc.h. */
#ifndef FALLOC_FL_ZERO_RANGE
#define FALLOC_FL_ZERO_RANGE 0x10
#endif
#ifndef FALLOC_FL_COLLAPSE_RANGE
#define FALLOC_FL_COLLAPSE_RANGE 0x08
#endif
#endif
