// Loads a BPF object with libbpf and pins its maps, the way a libbpf-based loader deploys
// them; MapGen then opens the pins. Usage: pin_maps OBJECT PIN_DIRECTORY
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <bpf/libbpf.h>

int main(int argc, char **argv)
{
	struct bpf_object *obj;
	int err;

	if (argc != 3) {
		fprintf(stderr, "usage: %s OBJECT PIN_DIRECTORY\n", argv[0]);
		return 2;
	}

	obj = bpf_object__open_file(argv[1], NULL);
	if (!obj) {
		fprintf(stderr, "open %s: %s\n", argv[1], strerror(errno));
		return 1;
	}

	err = bpf_object__load(obj);
	if (!err)
		err = bpf_object__pin_maps(obj, argv[2]);
	if (err)
		fprintf(stderr, "load and pin %s: %s\n", argv[1], strerror(-err));

	/* The pins keep the maps (and the slot's inner map) alive after the object is closed. */
	bpf_object__close(obj);
	return err ? 1 : 0;
}
