/*
 * cli_list.c — `lifeboat list [--json]`: the block devices a person can
 * choose from (lb_list_devices), as a table for people or as JSON for
 * scripts.  The JSON layout is documented in docs/cli.md; sizes there are
 * always bytes.
 */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"


static void json_str(const char *key, const char *v, int comma)
{
	printf("\"%s\": \"", key);
	for (const unsigned char *p = (const unsigned char *)v; *p; p++) {
		if (*p == '"' || *p == '\\')
			printf("\\%c", *p);
		else if (*p < 0x20)
			printf("\\u%04x", *p);
		else
			putchar(*p);
	}
	printf("\"%s", comma ? ", " : "");
}

static void json_num(const char *key, unsigned long long v, int comma)
{
	printf("\"%s\": %llu%s", key, v, comma ? ", " : "");
}

static void json_bool(const char *key, int v, int comma)
{
	printf("\"%s\": %s%s", key, v ? "true" : "false", comma ? ", " : "");
}

static void json_part(const struct lb_partition *p, int last)
{
	printf("\n      {");
	json_str("name", p->name, 1);
	json_num("number", p->number, 1);
	json_num("start", p->start, 1);
	json_num("size", p->size, 1);
	json_str("fstype", p->fstype, 1);
	json_str("label", p->label, 1);
	json_str("uuid", p->uuid, 1);
	json_str("mountpoint", p->mountpoint, 1);
	json_bool("swap", p->swap, 1);
	json_str("holder", p->holder, 1);
	json_bool("has_node", p->has_node, 0);
	printf("}%s", last ? "" : ",");
}

static void json_dev(const struct lb_device *d, int last)
{
	printf("\n    {");
	json_str("name", d->name, 1);
	json_str("path", d->path, 1);
	json_num("size", d->size, 1);
	json_num("logical_sector", d->logical_sector, 1);
	json_num("physical_sector", d->physical_sector, 1);
	json_str("model", d->model, 1);
	json_str("serial", d->serial, 1);
	json_str("transport", d->transport, 1);
	json_bool("rotational", d->rotational, 1);
	json_bool("removable", d->removable, 1);
	json_bool("read_only", d->read_only, 1);
	json_bool("lifeboat_medium", d->is_lifeboat_medium, 1);
	json_bool("in_use", d->in_use, 1);
	json_str("pttype", d->pttype, 1);
	json_str("fstype", d->fstype, 1);
	json_str("label", d->label, 1);
	json_str("uuid", d->uuid, 1);
	json_str("mountpoint", d->mountpoint, 1);
	json_bool("swap", d->swap, 1);
	json_str("holder", d->holder, 1);
	printf("\"partitions\": [");
	for (size_t i = 0; i < d->nparts; i++)
		json_part(&d->parts[i], i + 1 == d->nparts);
	printf("%s]}%s", d->nparts ? "\n    " : "", last ? "" : ",");
}

static void text_usage(const char *mp, int swap, const char *holder)
{
	if (mp[0])
		cli_put_text("  mounted at %s", mp);
	if (swap)
		cli_put_text("  swap");
	if (holder[0])
		cli_put_text("  held by %s", holder);
}

static void text_dev(const struct lb_device *d)
{
	char sz[32];

	cli_put_text("%-14s %10s  %u/%u  %-6s %s%s%s%s%s%s\n", d->path,
	       cli_human(d->size, sz, sizeof sz), d->logical_sector,
	       d->physical_sector, d->transport, d->model[0] ? d->model : "-",
	       d->serial[0] ? "  serial " : "", d->serial,
	       d->rotational ? "  rotational" : "", d->removable ? "  removable" : "",
	       d->read_only ? "  read-only" : "");
	cli_put_text("  %llu bytes, partition table: %s%s%s\n",
	       (unsigned long long)d->size, d->pttype[0] ? d->pttype : "none",
	       d->is_lifeboat_medium ? "  [LIFEBOAT MEDIUM]" : "",
	       d->in_use ? "  [IN USE]" : "");
	if (d->fstype[0]) {
		cli_put_text("  whole disk: %s%s%s", d->fstype, d->label[0] ? " label " : "",
		       d->label);
		text_usage(d->mountpoint, d->swap, d->holder);
		cli_put_text("\n");
	}
	for (size_t i = 0; i < d->nparts; i++) {
		const struct lb_partition *p = &d->parts[i];
		cli_put_text("  %-12s #%-2u at %12llu  %10s  %-6s %s", p->name, p->number,
		       (unsigned long long)p->start, cli_human(p->size, sz, sizeof sz),
		       p->fstype[0] ? p->fstype : "-", p->label);
		text_usage(p->mountpoint, p->swap, p->holder);
		cli_put_text("%s\n", p->has_node ? "" : "  (no node: use --partition)");
	}
}

int cli_list(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, 0, 'j' }, { "help", no_argument, 0, 'h' },
		{ 0, 0, 0, 0 } };
	struct lb_ctx ctx = {0};
	struct lb_device *devs;
	int json = 0, c, n;

	while ((c = getopt_long(argc, argv, "jh", opts, NULL)) != -1) {
		if (c == 'h')
			return cli_help_cmd("list");
		if (c != 'j')
			return cli_usage_error("list", "unknown option");
		json = 1;
	}
	if (optind < argc)
		return cli_usage_error("list", "unexpected argument '%s'", argv[optind]);
	if ((n = lb_list_devices(&ctx, &devs)) < 0)
		return cli_fail("list", &ctx, n);
	if (json)
		printf("{\"devices\": [");
	for (int i = 0; i < n; i++)
		json ? json_dev(&devs[i], i + 1 == n) : text_dev(&devs[i]);
	if (json)
		printf("%s]}\n", n ? "\n  " : "");
	else if (n == 0)
		printf("no block devices found\n");
	lb_free_devices(devs, n);
	return LB_EXIT_OK;
}
