/*
 * fs.c — probing a byte range with libblkid and choosing its imaging mode.
 *
 * libblkid (util-linux) names the filesystem; a table maps names to our
 * used-block readers.  Encrypted and multi-device formats, and anything
 * without a reader, get raw mode with the reason in words; so does a
 * reader that does not trust what it found.  Swap needs only its header
 * page (the rest is scratch space), found by the SWAPSPACE2 magic at the
 * end of the page for page sizes 4 to 64 KiB.
 */
#include <blkid/blkid.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "fs.h"

int lb_fs_read(struct lb_dev *dev, void *buf, size_t n, uint64_t off)
{
	int64_t r = lb_dev_pread(dev, buf, n, off);
	return r == (int64_t)n ? 0 : r < 0 ? (int)r : -EIO;
}

int lb_fs_read_meta(struct lb_dev *dev, void *buf, size_t n, uint64_t off,
		    struct lb_fs_info *info, const char *what)
{
	int r = lb_fs_read(dev, buf, n, off);
	uint64_t bad = off;

	if (r == 0 || r == -ENOMEM)
		return r;
	for (size_t d = 0; d < n; d += 512)     /* which sector: say it */
		if (lb_fs_read(dev, (uint8_t *)buf + d, n - d < 512 ? n - d : 512,
			       off + d)) {
			bad = off + d;
			break;
		}
	return lb_fs_raw(info, "I/O error at byte %llu while reading its %s (%s): imaged raw",
			 (unsigned long long)bad, what, strerror(-r));
}

int lb_fs_raw(struct lb_fs_info *info, const char *fmt, ...)
{
	va_list ap;

	info->mode = LB_FS_RAW;
	va_start(ap, fmt);
	vsnprintf(info->reason, sizeof(info->reason), fmt, ap);
	va_end(ap);
	return 1;
}

static void value(blkid_probe pr, const char *tag, char *out, size_t n)
{
	const char *v = NULL;

	if (blkid_probe_lookup_value(pr, tag, &v, NULL) == 0 && v)
		snprintf(out, n, "%s", v);
}

int lb_fs_probe(struct lb_ctx *ctx, struct lb_dev *dev, uint64_t off,
		uint64_t len, struct lb_fs_info *info)
{
	return lb_fs_probe_session(ctx, dev, off, len, 0, info);
}

int lb_fs_probe_session(struct lb_ctx *ctx, struct lb_dev *dev, uint64_t off,
			uint64_t len, uint64_t session, struct lb_fs_info *info)
{
	blkid_probe pr = blkid_new_probe();
	int r;

	if (!pr)
		return -ENOMEM;
	if (dev->fd < 0 || blkid_probe_set_device(pr, dev->fd,
			(blkid_loff_t)(dev->base + off), (blkid_loff_t)len)) {
		blkid_free_probe(pr);
		lb_fs_raw(info, "cannot probe %s at byte %llu", dev->path,
			  (unsigned long long)off);
		return 1;
	}
	blkid_probe_enable_superblocks(pr, 1);
	blkid_probe_set_superblocks_flags(pr, BLKID_SUBLKS_TYPE |
		BLKID_SUBLKS_LABEL | BLKID_SUBLKS_UUID | BLKID_SUBLKS_VERSION |
		BLKID_SUBLKS_SECTYPE);
	blkid_probe_enable_partitions(pr, 0);
	if (session)
		blkid_probe_set_hint(pr, "session_offset", session);
	/* No readahead while libblkid probes: on a failing disk a bad
	 * sector in the readahead window past what it asked for would fail
	 * its read (issue 6); back to normal for whoever reads on. */
	posix_fadvise(dev->fd, 0, 0, POSIX_FADV_RANDOM);
	errno = 0;
	r = blkid_do_safeprobe(pr);
	posix_fadvise(dev->fd, 0, 0, POSIX_FADV_NORMAL);
	if ((r < 0 && r != -2) || (r == 1 && errno == EIO)) {
		/* a read failed, not "nothing found": libblkid 2.38 returns
		 * -errno (-EIO), older ones -1 with errno set */
		int e = r < -2 ? -r : errno;
		r = 1;
		lb_fs_raw(info, "libblkid failed reading bytes %llu-%llu to identify it (%s): imaged raw",
			  (unsigned long long)off, (unsigned long long)(off + len - 1),
			  e ? strerror(e) : "read error");
	} else if (r == 0) {
		value(pr, "TYPE", info->type, sizeof(info->type));
		value(pr, "VERSION", info->version, sizeof(info->version));
		value(pr, "LABEL", info->label, sizeof(info->label));
		value(pr, "UUID", info->uuid, sizeof(info->uuid));
	} else if (r == -2) {
		lb_fs_raw(info, "more than one filesystem signature (ambiguous)");
	}
	blkid_free_probe(pr);
	return r == 0 ? 0 : r == -2 ? -EINVAL : 1;
}

/* Swap: the header page, wherever the page size put the magic. */
static int swap_used(struct lb_dev *dev, uint64_t off, uint64_t len,
		     struct lb_extmap *map, struct lb_fs_info *info)
{
	char magic[10];

	for (uint64_t page = 4096; page <= 65536 && page <= len; page *= 2) {
		if (lb_fs_read(dev, magic, sizeof(magic), off + page - 10))
			break;
		if (!memcmp(magic, "SWAPSPACE2", 10) ||
		    !memcmp(magic, "SWAP-SPACE", 10)) {
			snprintf(info->reason, sizeof(info->reason),
				 "swap: header page only (%llu bytes)",
				 (unsigned long long)page);
			return lb_extmap_add(map, off, page);
		}
	}
	return lb_fs_raw(info, "swap signature without a header page");
}

typedef int (*reader_fn)(struct lb_ctx *, struct lb_dev *, uint64_t, uint64_t,
			 struct lb_extmap *, struct lb_fs_info *);

static const struct {
	const char *type;
	reader_fn fn;
	const char *raw_why;    /* when fn is NULL */
} readers[] = {
	{ "ext2", lb_fs_ext_used, NULL }, { "ext3", lb_fs_ext_used, NULL },
	{ "ext4", lb_fs_ext_used, NULL }, { "ext4dev", lb_fs_ext_used, NULL },
	{ "vfat", lb_fs_fat_used, NULL }, { "exfat", lb_fs_exfat_used, NULL },
	{ "ntfs", lb_fs_ntfs_used, NULL },
	{ "crypto_LUKS", NULL, "encrypted (LUKS): used-block imaging not possible" },
	{ "BitLocker", NULL, "encrypted (BitLocker): used-block imaging not possible" },
	{ "swsuspend", NULL, "hibernation image in swap: kept whole" },
	{ "LVM2_member", NULL, "LVM physical volume: no used-block reader" },
	{ "linux_raid_member", NULL, "md RAID member: no used-block reader" },
};

static int dispatch(struct lb_ctx *ctx, struct lb_dev *dev, uint64_t off,
		    uint64_t len, struct lb_extmap *map, struct lb_fs_info *info)
{
	if (!strcmp(info->type, "swap"))
		return swap_used(dev, off, len, map, info);
	for (size_t i = 0; i < sizeof(readers) / sizeof(readers[0]); i++) {
		if (strcmp(info->type, readers[i].type))
			continue;
		if (!readers[i].fn)
			return lb_fs_raw(info, "%s", readers[i].raw_why);
		return readers[i].fn(ctx, dev, off, len, map, info);
	}
	return lb_fs_raw(info, "%s: no used-block reader for this type",
			 info->type);
}

int lb_fs_used(struct lb_ctx *ctx, struct lb_dev *dev, uint64_t off,
	       uint64_t len, struct lb_extmap *map, struct lb_fs_info *info)
{
	struct lb_extmap m;
	int r;

	memset(info, 0, sizeof(*info));
	lb_extmap_init(&m);
	r = lb_fs_probe(ctx, dev, off, len, info);
	if (r == 1 && !info->reason[0])
		lb_fs_raw(info, "no filesystem recognised");
	if (r == 0)
		r = dispatch(ctx, dev, off, len, &m, info);
	else if (r == -EINVAL)
		r = 1;
	if (r < 0 && r != -ENOMEM)
		r = lb_fs_raw(info, "reading the filesystem failed: %s%s", strerror(-r),
			      r == -EIO ? " (an unreadable sector in its metadata): imaged raw" : "");
	/* Only the filesystem's own extent may drop bytes: whatever the
	 * range holds after the filesystem's end (another filesystem, data
	 * past a shrunk one) is stored as it is (trial finding 3). */
	if (r == 0 && info->fs_bytes && info->fs_bytes < len) {
		char tail[80];
		snprintf(tail, sizeof tail, "; the %llu bytes after its end kept "
			 "whole", (unsigned long long)(len - info->fs_bytes));
		r = lb_extmap_add(&m, off + info->fs_bytes, len - info->fs_bytes);
		size_t k = strlen(info->reason);
		snprintf(info->reason + k, sizeof info->reason - k, "%s", tail);
	}
	if (r == 0) {
		lb_extmap_finish(&m);
		lb_extmap_clip(&m, off + len);
		info->mode = LB_FS_USED;
		info->used_bytes = lb_extmap_bytes(&m);
		r = lb_extmap_add_map(map, &m, 0);
	} else if (r == 1) {
		info->mode = LB_FS_RAW;
		info->used_bytes = len;
		r = lb_extmap_add(map, off, len);
	}
	lb_extmap_free(&m);
	return r;
}

int lb_fs_after_write(struct lb_ctx *ctx, struct lb_dev *dev, uint64_t written)
{
	uint8_t s[4096];
	uint32_t bps;
	int64_t w;

	if (dev->size <= written || lb_fs_read(dev, s, 512, 0) ||
	    memcmp(s + 3, "NTFS    ", 8))
		return 0;
	bps = (uint32_t)(s[11] | s[12] << 8);
	if (bps < 512 || bps > 4096 || (bps & (bps - 1)) || dev->size < 2 * bps ||
	    lb_fs_read(dev, s, bps, 0))
		return 0;
	w = lb_dev_pwrite(dev, s, bps, dev->size / bps * bps - bps);
	if (w != (int64_t)bps) {
		snprintf(ctx->msg, sizeof(ctx->msg),
			 "%s: writing the NTFS backup boot sector at the end failed",
			 dev->path);
		return w < 0 ? (int)w : -EIO;
	}
	if (ctx->log)
		ctx->log("NTFS in a larger partition: boot sector copied to its last sector (the volume itself was not grown)", ctx->user);
	return 0;
}
