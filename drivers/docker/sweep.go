package docker

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/image"

	"github.com/agentic-eval/agentic-eval/host"
)

// Leftovers lists the containers and images of the runs that prefix selects
// ("ae-<run>-" for one run, "ae-" for all): those whose name starts with
// prefix, and those labelled with a run whose prefix "ae-<run>-" starts
// with it.
func (d *Driver) Leftovers(ctx context.Context, prefix string) ([]string, error) {
	ctrs, imgs, err := d.leftovers(ctx, prefix)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, c := range ctrs {
		out = append(out, fmt.Sprintf("docker container %s (%s, %s)", containerName(c), shortID(c.ID), c.State))
	}
	for _, im := range imgs {
		out = append(out, fmt.Sprintf("docker image %s (%s)", strings.Join(im.RepoTags, ","), shortID(im.ID)))
	}
	return out, nil
}

// Reap removes what Leftovers lists: containers first (forced, with their
// volumes), then images (forced, with untagged parents). Containers are
// removed several at a time, each under ctx: a daemon that is still
// working off a killed client's requests answers each removal slowly.
func (d *Driver) Reap(ctx context.Context, prefix string) error {
	ctrs, imgs, err := d.leftovers(ctx, prefix)
	if err != nil {
		return err
	}
	cli, err := d.client()
	if err != nil {
		return err
	}
	var (
		mu   sync.Mutex
		errs []error
		wg   sync.WaitGroup
		sem  = make(chan struct{}, sweepParallel)
	)
	for _, c := range ctrs {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			err := cli.ContainerRemove(ctx, c.ID, container.RemoveOptions{Force: true, RemoveVolumes: true})
			if err != nil && !isNotFound(err) {
				mu.Lock()
				errs = append(errs, fmt.Errorf("remove docker container %s (%s): %w", containerName(c), shortID(c.ID), daemonError(err)))
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	for _, im := range imgs {
		_, err := cli.ImageRemove(ctx, im.ID, image.RemoveOptions{Force: true, PruneChildren: true})
		if err != nil && !isNotFound(err) {
			errs = append(errs, fmt.Errorf("remove docker image %s (%s): %w", strings.Join(im.RepoTags, ","), shortID(im.ID), daemonError(err)))
		}
	}
	return errors.Join(errs...)
}

// sweepParallel is how many container removals a sweep has in flight.
const sweepParallel = 8

// InFlight implements driver.InFlighter: the requests dockerd is still
// handling for clients that are gone, by the inode of the connection it
// holds for each, from the kernel's socket table. A daemon not on a local
// unix socket cannot be seen this way: it reports none.
func (d *Driver) InFlight(ctx context.Context) ([]string, string, error) {
	who := "dockerd at " + d.host
	path := socketPath(d.host)
	if path == "" {
		return nil, who, nil
	}
	inodes, err := host.GoneClients(path)
	if err != nil {
		return nil, who, fmt.Errorf("requests in flight at %s: %w", who, err)
	}
	ids := make([]string, len(inodes))
	for i, ino := range inodes {
		ids[i] = strconv.FormatUint(uint64(ino), 10)
	}
	return ids, who, nil
}

func (d *Driver) leftovers(ctx context.Context, prefix string) ([]container.Summary, []image.Summary, error) {
	if !strings.HasPrefix(prefix, "ae-") {
		return nil, nil, fmt.Errorf("docker leftovers: prefix %q does not start with \"ae-\": it could select objects that are not agentic-eval's", prefix)
	}
	cli, err := d.client()
	if err != nil {
		return nil, nil, fmt.Errorf("docker leftovers %s: %w", prefix, err)
	}
	var ctrs []container.Summary
	seen := map[string]bool{}
	for _, f := range []filters.Args{
		filters.NewArgs(filters.Arg("label", RunLabel)),
		filters.NewArgs(filters.Arg("name", "ae-")),
	} {
		list, err := cli.ContainerList(ctx, container.ListOptions{All: true, Filters: f})
		if err != nil {
			return nil, nil, fmt.Errorf("docker leftovers %s: list containers: %w", prefix, daemonError(err))
		}
		for _, c := range list {
			if !seen[c.ID] && selected(prefix, c.Labels, trimSlashes(c.Names)) {
				seen[c.ID] = true
				ctrs = append(ctrs, c)
			}
		}
	}
	var imgs []image.Summary
	for _, f := range []filters.Args{
		filters.NewArgs(filters.Arg("label", RunLabel)),
		filters.NewArgs(filters.Arg("reference", "ae-*")),
	} {
		list, err := cli.ImageList(ctx, image.ListOptions{All: true, Filters: f})
		if err != nil {
			return nil, nil, fmt.Errorf("docker leftovers %s: list images: %w", prefix, daemonError(err))
		}
		for _, im := range list {
			if !seen[im.ID] && selected(prefix, im.Labels, im.RepoTags) {
				seen[im.ID] = true
				imgs = append(imgs, im)
			}
		}
	}
	return ctrs, imgs, nil
}

// selected reports whether an object with these labels and names belongs
// to the runs prefix selects.
func selected(prefix string, labels map[string]string, names []string) bool {
	for _, n := range names {
		if strings.HasPrefix(n, prefix) {
			return true
		}
	}
	run, ok := labels[RunLabel]
	return ok && run != "" && strings.HasPrefix("ae-"+run+"-", prefix)
}

func trimSlashes(names []string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = strings.TrimPrefix(n, "/")
	}
	return out
}

func containerName(c container.Summary) string {
	if len(c.Names) > 0 {
		return strings.TrimPrefix(c.Names[0], "/")
	}
	return shortID(c.ID)
}

func shortID(id string) string {
	id = strings.TrimPrefix(id, "sha256:")
	if len(id) > 12 {
		return id[:12]
	}
	return id
}
