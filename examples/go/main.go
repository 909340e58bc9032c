// Command kftrainer-go trains a 2-node TrainJob on the local backend through
// libkftrainer with cgo, waits for it, prints its steps and logs, and deletes it.
//
// The library keeps its last error per OS thread, so every call and its
// kft_error_last() read happen under runtime.LockOSThread (see call).
// Callbacks reach Go through exported functions and a cgo.Handle payload.
// Exit status: 0 when the job completed and both nodes logged; 1 otherwise.
//
// SPDX-License-Identifier: Apache-2.0
package main

/*
#cgo LDFLAGS: -lkftrainer
#include <stdlib.h>
#include <kftrainer.h>

int kftgo_wait(kft_job_t **out, kft_client_t *client, const char *name, uint32_t want,
               int64_t timeout_ms, void *payload);
int kftgo_logs(kft_client_t *client, const char *name, const char *step, uint32_t flags,
               int prefix, void *payload);
*/
import "C"

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"runtime/cgo"
	"sort"
	"strings"
	"sync"
	"unsafe"
)

// Error is a failed library call with the library's own message.
type Error struct {
	Op      string
	Code    int
	Message string
}

func (e *Error) Error() string {
	return fmt.Sprintf("%s: %s (code %d)", e.Op, e.Message, e.Code)
}

// call runs one library call and reads its error on the same OS thread.
func call(op string, f func() C.int) error {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	if rc := f(); rc < 0 {
		return &Error{Op: op, Code: int(rc), Message: C.GoString(C.kft_error_last().message)}
	}
	return nil
}

type waitState struct {
	progress func(job *C.kft_job_t) bool
	calls    int
}

//export goWaitCB
func goWaitCB(job *C.kft_job_t, payload unsafe.Pointer) C.int {
	st := (*(*cgo.Handle)(payload)).Value().(*waitState)
	st.calls++
	if st.progress != nil && !st.progress(job) {
		return C.KFT_EUSER
	}
	return 0
}

type logState struct {
	byStep map[string]*strings.Builder
}

//export goLogCB
func goLogCB(chunk *C.char, n C.size_t, step *C.char, payload unsafe.Pointer) C.int {
	st := (*(*cgo.Handle)(payload)).Value().(*logState)
	if n == 0 { // a keep-alive call: nothing to deliver
		return 0
	}
	name := C.GoString(step)
	b, ok := st.byStep[name]
	if !ok {
		b = &strings.Builder{}
		st.byStep[name] = b
	}
	b.Write(C.GoBytes(unsafe.Pointer(chunk), C.int(n)))
	return 0
}

// checkThreadErrors has many goroutines fail at once, each on its own client,
// and checks every error message is the goroutine's own: what call() and its
// LockOSThread guarantee.
func checkThreadErrors(goroutines, calls int) error {
	var wg sync.WaitGroup
	errs := make(chan error, goroutines)
	for i := 0; i < goroutines; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			var c *C.kft_client_t
			if err := call("kft_client_new", func() C.int { return C.kft_client_new(&c, nil) }); err != nil {
				errs <- err
				return
			}
			defer C.kft_client_free(c)
			want := fmt.Sprintf("no-such-runtime-%d", i)
			cs := C.CString(want)
			defer C.free(unsafe.Pointer(cs))
			for j := 0; j < calls; j++ {
				var rt *C.kft_runtime_t
				err := call("kft_get_runtime", func() C.int { return C.kft_get_runtime(&rt, c, cs) })
				var e *Error
				if !errors.As(err, &e) || e.Code != C.KFT_ENOTFOUND ||
					!strings.Contains(e.Message, `"`+want+`"`) {
					errs <- fmt.Errorf("goroutine %d call %d: wrong error %v", i, j, err)
					return
				}
				runtime.Gosched()
			}
		}(i)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		return err
	}
	fmt.Printf("thread-local errors: %d goroutines x %d failing calls, each saw its own message\n",
		goroutines, calls)
	return nil
}

func run() error {
	if C.kft_version()>>16 != C.KFT_VERSION_MAJOR {
		return fmt.Errorf("libkftrainer ABI mismatch: %s", C.GoString(C.kft_version_string()))
	}
	fmt.Printf("libkftrainer %s\n", C.GoString(C.kft_version_string()))
	if err := checkThreadErrors(32, 20); err != nil {
		return err
	}

	var client *C.kft_client_t
	backend := C.CString("local")
	defer C.free(unsafe.Pointer(backend))
	var opts C.kft_client_opts_t
	if err := call("kft_client_opts_init", func() C.int {
		return C.kft_client_opts_init(&opts, C.KFT_CLIENT_OPTS_VERSION)
	}); err != nil {
		return err
	}
	opts.backend = backend
	if err := call("kft_client_new", func() C.int { return C.kft_client_new(&client, &opts) }); err != nil {
		return err
	}
	defer C.kft_client_free(client)

	var spec *C.kft_spec_t
	if err := call("kft_spec_new", func() C.int { return C.kft_spec_new(&spec) }); err != nil {
		return err
	}
	defer C.kft_spec_free(spec)
	rtName := C.CString("torch-distributed")
	defer C.free(unsafe.Pointer(rtName))
	args := []string{"sh", "-c", `echo "hello from node ${PET_NODE_RANK:-?} of ${PET_NNODES:-?}"; ` +
		`sleep 1; echo "node ${PET_NODE_RANK:-?} done"`}
	cargs := C.malloc(C.size_t(len(args)) * C.size_t(unsafe.Sizeof(uintptr(0))))
	defer C.free(cargs)
	argv := (*[1 << 20]*C.char)(cargs)[:len(args):len(args)]
	for i, a := range args {
		argv[i] = C.CString(a)
		defer C.free(unsafe.Pointer(argv[i]))
	}
	if err := call("kft_spec_set_runtime", func() C.int {
		return C.kft_spec_set_runtime(spec, rtName, nil)
	}); err != nil {
		return err
	}
	if err := call("kft_spec_set_command", func() C.int {
		return C.kft_spec_set_command(spec, (**C.char)(cargs), C.size_t(len(args)))
	}); err != nil {
		return err
	}
	if err := call("kft_spec_set_num_nodes", func() C.int {
		return C.kft_spec_set_num_nodes(spec, 2)
	}); err != nil {
		return err
	}

	var created *C.kft_job_t
	if err := call("kft_train", func() C.int { return C.kft_train(&created, client, spec, nil) }); err != nil {
		return err
	}
	name := C.GoString(C.kft_job_name(created))
	C.kft_job_free(created)
	fmt.Printf("job: %s\n", name)
	cname := C.CString(name)
	defer C.free(unsafe.Pointer(cname))

	ws := &waitState{}
	wh := cgo.NewHandle(ws)
	defer wh.Delete()
	var done *C.kft_job_t
	err := call("kft_wait", func() C.int {
		return C.kftgo_wait(&done, client, cname, 1<<C.KFT_JOB_COMPLETE, 120000,
			unsafe.Pointer(&wh))
	})
	defer C.kft_job_free(done)
	if err != nil {
		return err
	}
	fmt.Printf("status: %s (%d progress calls)\n", C.GoString(C.kft_job_status(done)), ws.calls)
	nodesOK := 0
	for i := C.size_t(0); i < C.kft_job_step_count(done); i++ {
		st := C.kft_job_step_at(done, i)
		step := C.GoString(C.kft_step_name(st))
		code := int(C.kft_step_exit_code(st))
		fmt.Printf("step %s: %s exit %d\n", step, C.GoString(C.kft_step_status(st)), code)
		if strings.HasPrefix(step, "node-") && code == 0 {
			nodesOK++
		}
	}

	ls := &logState{byStep: map[string]*strings.Builder{}}
	lh := cgo.NewHandle(ls)
	defer lh.Delete()
	if err := call("kft_logs", func() C.int {
		return C.kftgo_logs(client, cname, nil, 0, C.KFT_LOG_PREFIX_NEVER, unsafe.Pointer(&lh))
	}); err != nil {
		return err
	}
	steps := make([]string, 0, len(ls.byStep))
	for s := range ls.byStep {
		steps = append(steps, s)
	}
	sort.Strings(steps)
	for _, s := range steps {
		fmt.Printf("--- %s\n%s", s, ls.byStep[s].String())
	}

	if err := call("kft_delete_job", func() C.int { return C.kft_delete_job(client, cname, nil) }); err != nil {
		return err
	}
	log0, log1 := ls.byStep["node-0"], ls.byStep["node-1"]
	if C.kft_job_state(done) != C.KFT_JOB_COMPLETE || nodesOK != 2 || log0 == nil || log1 == nil ||
		!strings.Contains(log0.String(), "hello from node 0 of 2") ||
		!strings.Contains(log1.String(), "hello from node 1 of 2") {
		return fmt.Errorf("unexpected result")
	}
	fmt.Println("OK")
	return nil
}

func main() {
	if err := run(); err != nil {
		fmt.Fprintf(os.Stderr, "error: %v\n", err)
		os.Exit(1)
	}
}
