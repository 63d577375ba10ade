/*
 * cli_help.c — the words of `lifeboat --help` and `lifeboat help CMD`:
 * the synopsis of every command, what each option does with its units,
 * and the exit codes (enum lb_exit in lifeboat.h).  docs/cli.md says the
 * same at more length; keep the two in step.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

static const char exit_codes[] =
"Exit codes:\n"
"  0  success\n"
"  1  failure not listed below\n"
"  2  bad command line (also --offset/--length outside the device)\n"
"  3  refused by a safety rule (target mounted, in use, holds the Lifeboat\n"
"     medium or the image, too small, source mounted read-write, or no\n"
"     confirmation)\n"
"  4  reading the source failed (cannot open it, I/O error, device vanished)\n"
"  5  writing the image or target failed (I/O error, disk full, file too\n"
"     big, destination folder missing)\n"
"  6  image corrupt, incomplete, missing or not a qcow2 image\n"
"  7  verify found a difference\n"
"  8  cancelled (Ctrl-C); what was written is incomplete\n";

const struct cli_cmd cli_cmds[] = {
{ "list", cli_list, "list [--json]",
"Lists the block devices (from /sys/block): size in bytes, logical/physical\n"
"sector size, transport, model, serial, rotational, removable, read-only,\n"
"the partition table with each partition's number, start byte, size,\n"
"filesystem and label, what is mounted or used as swap, and which device\n"
"holds the running Lifeboat medium.  Loop devices are listed when bound to a\n"
"file; their partitions have no /dev node here, so address them with\n"
"--partition N.\n"
"  --json   machine-readable output; all sizes in bytes (see docs/cli.md)\n" },
{ "backup", cli_backup,
  "backup SOURCE IMAGE [--compress zstd|zlib] [--level N] [--cluster-size N]\n"
  "       [--split SIZE] [--threads N] [--partition N | --offset B --length B]\n"
  "       [--force] [--raw] [--no-space-check] [--table gpt|mbr]",
"Copies SOURCE (a disk, a partition, or a regular file) into IMAGE, a qcow2\n"
"version 3 file with compressed clusters that qemu-img also reads.  Areas\n"
"that read as zeros are not stored.  IMAGE is written as IMAGE.part and\n"
"renamed when complete.  The source is only read (and marked read-only in\n"
"the kernel while the job runs).\n"
"  --compress zstd|zlib  codec (default zstd; zlib for old qemu and 7-Zip)\n"
"  --level N             compression level (codec's scale)\n"
"  --cluster-size N      qcow2 cluster size: a power of two from 64K to 2M\n"
"                        (default 1M)\n"
"  --split SIZE          write pieces of at most SIZE bytes (e.g. 4095M), at\n"
"                        least the cluster size (0 is an error, not \"no\n"
"                        split\"); `cat IMAGE IMAGE.0*` joins them into one\n"
"                        image any command reads; by default a split is\n"
"                        planned for FAT32 destinations\n"
"  --threads N           compression threads (default: one per core)\n"
"  --partition N         back up only partition N of SOURCE's partition table\n"
"                        (GPT and MBR disagree: N of the --table given;\n"
"                        refused, exit 2, without it)\n"
"  --offset B --length B back up only this byte range of SOURCE\n"
"  --force               go on although a filesystem on SOURCE is mounted\n"
"                        read-write (the image may be inconsistent), and\n"
"                        replace an existing IMAGE\n"
"  --raw                 store every non-zero cluster; without it only the\n"
"                        blocks the filesystems mark used are stored (free\n"
"                        space restores as zeros; unknown filesystems and\n"
"                        unpartitioned space are always copied whole)\n"
"  --no-space-check      write even when the destination's free space is\n"
"                        less than the most the image may need\n"
"  --table gpt|mbr       on a disk whose valid GPT and MBR disagree (an MBR\n"
"                        with real partitions and no 0xEE record), image by\n"
"                        this table's partitions; without it such a disk is\n"
"                        imaged raw.  Sector 0, both GPT areas and all\n"
"                        space outside the partitions are stored either way\n"
"Sizes take K, M, G, T suffixes (powers of 1024).\n" },
{ "restore", cli_restore,
  "restore IMAGE TARGET [--yes] [--verify] [--threads N] [--grow-last]\n"
  "       [--new-ids] [--partition N [--table gpt|mbr] | --offset B --length B]",
"Writes the disk held in IMAGE (a Lifeboat or any qcow2 image, or the first\n"
"piece of a split set) onto TARGET, a disk or a regular file.  A missing\n"
"file is created sparse at the image's size.  TARGET is refused when it is\n"
"mounted (or any partition of it), in use, holds the Lifeboat medium,\n"
"holds IMAGE, or is too small.  Everything on TARGET is overwritten.\n"
"A smaller disk is fine when every partition of the image fits on it; on a\n"
"different-size disk the GPT backup is moved to the new end.\n"
"  --yes             do not ask; without it, on a terminal you type the\n"
"                    target's device name, and without a terminal the job\n"
"                    is refused (exit 3)\n"
"  --verify          read TARGET back afterwards and compare\n"
"  --threads N       decompression threads\n"
"  --partition N     write into partition N of TARGET's partition table\n"
"  --table gpt|mbr   with --partition, on a TARGET whose GPT and MBR\n"
"                    disagree: which table numbers N (refused without it)\n"
"  --offset B --length B  write into this byte range of TARGET\n"
"  --grow-last       grow the last partition's table entry to the end of a\n"
"                    larger TARGET, and an ext2/3/4 filesystem in it\n"
"                    (e2fsck, resize2fs; needs root); a whole disk only:\n"
"                    refused with --partition\n"
"  --new-ids         give the copy new disk/partition GUIDs and MBR\n"
"                    signature, so both disks can be attached at once\n" },
{ "clone", cli_clone,
  "clone SOURCE TARGET [--yes] [--verify] [--force] [--grow-last] [--new-ids]\n"
  "       [--partition N | --offset B --length B] [--table gpt|mbr]",
"Copies SOURCE byte for byte onto TARGET (disks, partitions or files).\n"
"Reading and writing overlap; zero areas become holes in a file target or\n"
"BLKZEROOUT on a device.  The source is only read.  TARGET is checked as\n"
"for restore, and refused when it is or holds SOURCE.\n"
"  --yes             do not ask (see restore)\n"
"  --verify          read TARGET back afterwards and compare; a difference\n"
"                    names the first differing byte (exit 7)\n"
"  --force           go on although SOURCE is mounted read-write\n"
"  --partition N     clone only partition N of SOURCE (of --table's\n"
"                    table when GPT and MBR disagree)\n"
"  --offset B --length B  clone only this byte range of SOURCE\n"
"  --grow-last, --new-ids  as for restore\n"
"  --table gpt|mbr   on a disk whose GPT and MBR disagree, check the fit on\n"
"                    TARGET and fix up the table after copying by this one\n" },
{ "probe", cli_probe, "probe DISK [--table gpt|mbr]",
"Shows what a backup of DISK (a disk or an image file) would do, reading\n"
"only: the partition table and what is wrong with it (backup GPT missing or\n"
"misplaced, protective or hybrid MBR, entries past the end or overlapping:\n"
"then the whole disk is imaged raw), and for each partition its filesystem\n"
"(type, label, UUID, from libblkid) and its mode: used-blocks (only what\n"
"the filesystem marks used) or raw (every non-zero sector), with the reason\n"
"(unknown, encrypted, not cleanly unmounted, hibernated, damaged).\n"
"  --table gpt|mbr  what backup --table would do on a disk whose GPT and\n"
"                   MBR disagree (the note then lists both tables)\n" },
{ "verify", cli_verify, "verify IMAGE [--against DEVICE] [--threads N]",
"Checks that IMAGE is complete and that every cluster matches the checksum\n"
"stored when it was written; names the first bad cluster.  With --against,\n"
"also compares the image's contents with DEVICE (a disk or file).\n" },
{ "info", cli_info, "info IMAGE [--json]",
"Prints what IMAGE holds without decompressing it: virtual size, file size,\n"
"pieces, cluster size, compression, whether it is complete, and the source\n"
"disk's identity, creation time and SHA-256 when Lifeboat made it.\n"
"  --json   machine-readable output\n" },
/* Added by rescue (cli_rescue.c), additive: */
{ "rescue", cli_rescue,
  "rescue SOURCE IMAGE [--resume] [--export-map FILE [--force]]\n"
  "       [--import-map FILE]\n"
  "       [--retries N] [--reverse] [--slow-ms N] [--no-data-first]\n"
  "       [--partition N | --offset B --length B] [--compress zstd|zlib]\n"
  "       [--table gpt|mbr]",
"Gets every readable byte off a failing disk into IMAGE (qcow2), like GNU\n"
"ddrescue: first what reads easily (the blocks filesystems use first),\n"
"skipping ahead past errors and slow areas, then trims and scrapes the bad\n"
"areas sector by sector; bad sectors are retried only with --retries N\n"
"(as GNU ddrescue: copy first, retry in a later run).  Reads bypass the page\n"
"cache (O_DIRECT).  Unreadable sectors read as zeros in IMAGE; the map of\n"
"what was read is stored in IMAGE (`lifeboat info` lists the unreadable\n"
"ranges and the files that touch them).  Until the end IMAGE is written as\n"
"IMAGE.part, checkpointed every few seconds (a copy of the map beside it in\n"
"IMAGE.rescue-map); after a crash it holds the last checkpoint.\n"
"  --resume           go on after an interruption (or, with --retries N, try\n"
"                     the bad areas of a finished IMAGE again) without\n"
"                     re-reading what is done\n"
"  --export-map FILE  write the map as a GNU ddrescue mapfile (ddrescuelog,\n"
"                     ddrescueview); when IMAGE (or its interrupted rescue)\n"
"                     exists and --resume is not given, only exports.\n"
"                     Never the source, IMAGE, IMAGE.part, IMAGE.rescue-map\n"
"                     or a device node; written via a temporary file\n"
"  --force            let --export-map replace an existing regular file\n"
"  --import-map FILE  start from a ddrescue mapfile (with --resume it\n"
"                     replaces the saved map)\n"
"  --retries N        passes over bad sectors at the end (default 0: none;\n"
"                     each pass may be the disk's last)\n"
"  --reverse          run the retry passes backwards\n"
"  --slow-ms N        first pass: skip past reads slower than N ms and come\n"
"                     back later (default 1000; 0: never)\n"
"  --no-data-first    do not rescue the filesystems' used blocks first\n"
"  --table gpt|mbr    plan data first by this table on a disk whose GPT and\n"
"                     MBR disagree (as backup --table; else disk order)\n"
"  --keep-timeouts    leave the disk's sysfs command timeouts as they are\n"
"                     (by default lowered to 5 s for the rescue)\n"
"  --checkpoint-ms N  save the map every N ms (default 3000)\n"
"  --read-timeout-ms N  a read unanswered for N ms means the disk stopped\n"
"                     answering: stop with exit 4 (default 60000)\n"
"Exit 0 when every phase ran (bad sectors are reported, not an error),\n"
"4 when the source stopped answering, 8 when cancelled (--resume goes on).\n" },
{ 0, 0, 0, 0 },
};

const struct cli_cmd *cli_find(const char *name)
{
	for (const struct cli_cmd *c = cli_cmds; c->name; c++)
		if (!strcmp(c->name, name))
			return c;
	return NULL;
}

void cli_usage(FILE *f)
{
	fprintf(f, "Lifeboat %s — back up, restore, clone and verify disks "
		"through qcow2 images.\n\nUsage:\n", LB_VERSION);
	for (const struct cli_cmd *c = cli_cmds; c->name; c++)
		fprintf(f, "  lifeboat %s\n", c->synopsis);
	fprintf(f, "  lifeboat help COMMAND | --help | --version\n"
		"  lifeboat            (no arguments, on a terminal: the menus)\n\n"
		"SOURCE and TARGET are block devices (/dev/sda) or regular files.\n"
		"`lifeboat help COMMAND` explains a command and its options.\n\n%s",
		exit_codes);
}

int cli_help_cmd(const char *name)
{
	const struct cli_cmd *c = cli_find(name);

	if (!c) {
		fprintf(stderr, "lifeboat: no command '%s'\n\n", name);
		cli_usage(stderr);
		return LB_EXIT_USAGE;
	}
	printf("Usage: lifeboat %s\n\n%s\n%s", c->synopsis, c->help, exit_codes);
	return LB_EXIT_OK;
}

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "lifeboat %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry `lifeboat help %s`.\n", cmd);
	return LB_EXIT_USAGE;
}
