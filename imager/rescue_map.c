/*
 * rescue_map.c — the rescue map (rescue_map.h): a sorted, merged list of
 * blocks, and its text form, GNU ddrescue's mapfile (manual, "Mapfile
 * structure"): '#' starts a comment; the first other line is the status
 * line "current_pos current_status current_pass"; every further line is a
 * block "pos size status".  We write numbers in hexadecimal like ddrescue
 * and accept any C notation when reading.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rescue_map.h"

int lb_rmap_init(struct lb_rmap *m, uint64_t size)
{
	memset(m, 0, sizeof *m);
	m->cap = 64;
	if (!(m->v = malloc(m->cap * sizeof *m->v)))
		return -ENOMEM;
	m->size = size;
	m->n = 1;
	m->v[0] = (struct lb_rblock){ 0, size, LB_RM_NONTRIED };
	m->cur_st = LB_RM_NONTRIED;
	m->pass = 1;
	return 0;
}

void lb_rmap_free(struct lb_rmap *m)
{
	free(m->v);
	m->v = NULL;
	m->n = m->cap = 0;
}

size_t lb_rmap_find(const struct lb_rmap *m, uint64_t pos)
{
	size_t lo = 0, hi = m->n;

	while (hi - lo > 1) {           /* v[lo].pos <= pos < v[hi].pos */
		size_t mid = lo + (hi - lo) / 2;
		if (m->v[mid].pos <= pos)
			lo = mid;
		else
			hi = mid;
	}
	return lo;
}

char lb_rmap_status(const struct lb_rmap *m, uint64_t pos)
{
	return m->v[lb_rmap_find(m, pos)].st;
}

static int grow(struct lb_rmap *m, size_t extra)
{
	size_t cap = m->cap;
	struct lb_rblock *v;

	if (m->n + extra > LB_RM_MAX_BLOCKS)
		return -E2BIG;
	if (m->n + extra <= m->cap)
		return 0;
	while (cap < m->n + extra)
		cap *= 2;
	if (!(v = realloc(m->v, cap * sizeof *v)))
		return -ENOMEM;
	m->v = v;
	m->cap = cap;
	return 0;
}

static void remove_blocks(struct lb_rmap *m, size_t i, size_t k)
{
	memmove(&m->v[i], &m->v[i + k], (m->n - i - k) * sizeof m->v[0]);
	m->n -= k;
}

/* Makes POS the start of a block (0 < POS < size). */
static int split_at(struct lb_rmap *m, uint64_t pos)
{
	size_t i;
	struct lb_rblock *b;
	int r;

	if (pos == 0 || pos >= m->size)
		return 0;
	i = lb_rmap_find(m, pos);
	if (m->v[i].pos == pos)
		return 0;
	if ((r = grow(m, 1)))
		return r;
	memmove(&m->v[i + 2], &m->v[i + 1], (m->n - i - 1) * sizeof m->v[0]);
	m->n++;
	b = &m->v[i];
	m->v[i + 1] = (struct lb_rblock){ pos, b->pos + b->size - pos, b->st };
	b->size = pos - b->pos;
	return 0;
}

int lb_rmap_set(struct lb_rmap *m, uint64_t pos, uint64_t len, char st)
{
	size_t i, j;
	int r;

	if (pos >= m->size)
		return 0;
	if (len > m->size - pos)
		len = m->size - pos;
	if (!len)
		return 0;
	if ((r = split_at(m, pos)) || (r = split_at(m, pos + len)))
		return r;
	i = lb_rmap_find(m, pos);
	j = lb_rmap_find(m, pos + len - 1);
	m->v[i] = (struct lb_rblock){ pos, len, st };
	if (j > i)
		remove_blocks(m, i + 1, j - i);
	if (i + 1 < m->n && m->v[i + 1].st == st) {
		m->v[i].size += m->v[i + 1].size;
		remove_blocks(m, i + 1, 1);
	}
	if (i > 0 && m->v[i - 1].st == st) {
		m->v[i - 1].size += m->v[i].size;
		remove_blocks(m, i, 1);
	}
	return 0;
}

uint64_t lb_rmap_bytes(const struct lb_rmap *m, char st)
{
	uint64_t t = 0;

	for (size_t i = 0; i < m->n; i++)
		if (m->v[i].st == st)
			t += m->v[i].size;
	return t;
}

uint64_t lb_rmap_unfinished(const struct lb_rmap *m, uint64_t pos,
			    uint64_t len)
{
	uint64_t t = 0, end;

	if (pos >= m->size)
		return 0;
	end = len > m->size - pos ? m->size : pos + len;
	for (size_t i = lb_rmap_find(m, pos); i < m->n && m->v[i].pos < end; i++) {
		uint64_t a = m->v[i].pos > pos ? m->v[i].pos : pos;
		uint64_t z = m->v[i].pos + m->v[i].size < end ?
			     m->v[i].pos + m->v[i].size : end;
		if (m->v[i].st != LB_RM_FINISHED && z > a)
			t += z - a;
	}
	return t;
}

size_t lb_rmap_count(const struct lb_rmap *m, char st)
{
	size_t k = 0;

	for (size_t i = 0; i < m->n; i++)
		k += m->v[i].st == st;
	return k;
}

int lb_rmap_write(const struct lb_rmap *m, FILE *f, const char *comment)
{
	const char *c = comment;

	fprintf(f, "# Mapfile. Created by Lifeboat (GNU ddrescue mapfile format)\n");
	while (c && *c) {
		size_t n = strcspn(c, "\n");
		fprintf(f, "# %.*s\n", (int)n, c);
		c += n + (c[n] == '\n');
	}
	fprintf(f, "# current_pos  current_status  current_pass\n");
	fprintf(f, "0x%08" PRIX64 "     %c               %d\n", m->cur_pos,
		m->cur_st ? m->cur_st : '?', m->pass > 0 ? m->pass : 1);
	fprintf(f, "#      pos        size  status\n");
	for (size_t i = 0; i < m->n; i++)
		fprintf(f, "0x%08" PRIX64 "  0x%08" PRIX64 "  %c\n",
			m->v[i].pos, m->v[i].size, m->v[i].st);
	return ferror(f) ? -EIO : 0;
}

static int known_status(char c)
{
	return c == '?' || c == '*' || c == '/' || c == '-' || c == '+';
}

/* Reads "NUMBER NUMBER CHAR" (numbers in C notation, the full 64-bit
 * range; out of range fails).  Returns 1 when it matched. */
static int two_numbers(const char *line, unsigned long long *a,
		       unsigned long long *b, char *c)
{
	char *end;

	errno = 0;
	*a = strtoull(line, &end, 0);
	if (end == line || errno || *line == '-')
		return 0;
	line = end + strspn(end, " \t");
	*b = strtoull(line, &end, 0);
	if (end == line || errno || *line == '-')
		return 0;
	line = end + strspn(end, " \t");
	*c = *line;
	return *c && (line[1] == 0 || strchr(" \t\r\n", line[1]));
}

/* Parses one block line into the map being built; LINE has no comment. */
static int parse_block(struct lb_rmap *m, const char *line, int no,
		       char *msg, size_t msgsz)
{
	unsigned long long pos, size;
	char st;
	int r;

	if (!two_numbers(line, &pos, &size, &st) || !known_status(st) ||
	    size == 0)
		return snprintf(msg, msgsz, "map line %d: not \"pos size "
				"status\" with status one of ?*/-+ and size > 0",
				no), -EBADMSG;
	if (pos != m->size || size > UINT64_MAX - pos)
		return snprintf(msg, msgsz, "map line %d: block at 0x%llx "
				"does not follow the previous one (0x%" PRIx64
				")", no, pos, m->size), -EBADMSG;
	if ((r = grow(m, 1)))
		return snprintf(msg, msgsz, "map line %d: more than %u "
				"blocks", no, LB_RM_MAX_BLOCKS), r == -E2BIG ?
				-EBADMSG : r;
	if (m->n && m->v[m->n - 1].st == st)
		m->v[m->n - 1].size += size;
	else
		m->v[m->n++] = (struct lb_rblock){ pos, size, st };
	m->size += size;
	return 0;
}

static int parse_status(struct lb_rmap *m, const char *line, int no,
			char *msg, size_t msgsz)
{
	unsigned long long pos;
	char st;
	int pass = 1, k = sscanf(line, "%lli %c %d", (long long *)&pos, &st,
				 &pass);

	if (k < 2 || (!known_status(st) && st != 'F' && st != 'G'))
		return snprintf(msg, msgsz, "map line %d: not a status line "
				"\"pos status [pass]\"", no), -EBADMSG;
	m->cur_pos = pos;
	m->cur_st = known_status(st) ? st : '?';
	m->pass = pass > 0 ? pass : 1;
	return 0;
}

int lb_rmap_parse(const char *text, size_t len, uint64_t size,
		  struct lb_rmap *m, char *msg, size_t msgsz)
{
	const char *p = text, *end = text + len;
	int no = 0, seen_status = 0, r = 0;
	char line[512];

	if ((r = lb_rmap_init(m, 0)))
		return r;
	m->n = 0;
	while (p < end && !r) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = (size_t)((nl ? nl : end) - p);
		no++;
		snprintf(line, sizeof line, "%.*s", (int)(n < 511 ? n : 511), p);
		p += n + 1;
		line[strcspn(line, "#")] = 0;
		if (line[strspn(line, " \t\r")] == 0)
			continue;
		if (!seen_status++)
			r = parse_status(m, line, no, msg, msgsz);
		else
			r = parse_block(m, line, no, msg, msgsz);
	}
	if (!r && (m->n == 0 || (size && m->size != size)))
		r = (snprintf(msg, msgsz, "the map covers %" PRIu64 " bytes, "
			      "the source has %" PRIu64, m->size, size), -EBADMSG);
	if (r)
		lb_rmap_free(m);
	return r;
}

int lb_rmap_load(const char *path, uint64_t size, struct lb_rmap *m,
		 char *msg, size_t msgsz)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), r = 0;
	struct stat st;
	char *buf = NULL;
	ssize_t got = 0;

	if (fd < 0 || fstat(fd, &st) < 0) {
		r = -errno;
		snprintf(msg, msgsz, "%s: %s", path, strerror(errno));
	} else if (st.st_size > (256 << 20)) {
		r = -EFBIG;
		snprintf(msg, msgsz, "%s: a map larger than 256 MiB", path);
	} else if (!(buf = malloc((size_t)st.st_size + 1))) {
		r = -ENOMEM;
	} else if ((got = pread(fd, buf, (size_t)st.st_size, 0)) < 0) {
		r = -errno;
		snprintf(msg, msgsz, "%s: %s", path, strerror(errno));
	}
	if (fd >= 0)
		close(fd);
	if (!r && (r = lb_rmap_parse(buf, (size_t)got, size, m, msg, msgsz))) {
		size_t k = strlen(msg);
		if (k + strlen(path) + 3 < msgsz) {
			memmove(msg + strlen(path) + 2, msg, k + 1);
			memcpy(msg, path, strlen(path));
			memcpy(msg + strlen(path), ": ", 2);
		}
	}
	free(buf);
	return r;
}

static int fsync_dir_of(const char *path)
{
	char *copy = strdup(path);
	int fd, r = 0;

	if (!copy)
		return -ENOMEM;
	fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	free(copy);
	if (fd < 0)
		return -errno;
	if (fsync(fd) < 0 && errno != EINVAL)
		r = -errno;
	close(fd);
	return r;
}

int lb_rmap_save(const struct lb_rmap *m, const char *path,
		 const char *comment)
{
	char tmp[4200];
	FILE *f;
	int r;

	snprintf(tmp, sizeof tmp, "%s.tmp", path);
	if (!(f = fopen(tmp, "we")))
		return -errno;
	r = lb_rmap_write(m, f, comment);
	if (fflush(f) || fsync(fileno(f)))
		r = r ? r : -errno;
	if (fclose(f) && !r)
		r = -errno;
	if (!r && rename(tmp, path) < 0)
		r = -errno;
	if (r)
		unlink(tmp);
	else
		r = fsync_dir_of(path);
	return r;
}
