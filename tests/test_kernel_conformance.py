"""jupyter_kernel_test's conformance suite, with every attribute set."""

import unittest

import jupyter_kernel_test

# The first cell waits for evcxr to warm up (and, on a fresh cache, for mesos-lib to be built);
# jupyter_kernel_test's own timeout is 15 s.
jupyter_kernel_test.TIMEOUT = 300


class MesosKernelTests(jupyter_kernel_test.KernelTests):
    kernel_name = "mesos"
    language_name = "rust"
    file_extension = ".rs"

    code_hello_world = 'println!("hello, world");'
    code_stderr = 'eprintln!("oops");'

    completion_samples = [
        {"text": "%lsm", "matches": {"%lsmagic"}},
        {"text": "%help --", "matches": set()},
        {"text": "%he", "matches": {"%help", "%health"}},
        {"text": "%help lsm", "matches": {"lsmagic"}},
    ]

    complete_code_samples = ["let x = 1;", "fn f() {}", "%lsmagic", 'let s = "{";']
    incomplete_code_samples = ["fn f() {", "let v = vec![1,", 'let s = "abc']
    invalid_code_samples = ["}", "let x = (1]", "%"]

    code_generate_error = 'let x: i32 = "not a number";'

    code_execute_result = [
        {"code": "1 + 2", "result": "3"},
        {"code": '"mesos".len() * 2', "result": "10"},
        {"code": "%help lsmagic", "mime": "text/plain"},
    ]
    code_history_pattern = "1 + *"
    supported_history_operations = ("tail", "range", "search")

    code_display_data = [
        {
            "code": 'println!("EVCXR_BEGIN_CONTENT text/html\\n<b>offers</b>\\nEVCXR_END_CONTENT");',
            "mime": "text/html",
        },
        {"code": "%lsmagic\n%help clear", "mime": "text/html"},
    ]

    code_page_something = "%lsmagic?"
    code_inspect_sample = "%lsmagic"
    code_clear_output = "%clear"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # Warm evcxr up once, so the first test is not charged for it.
        cls.kc.execute_interactive("1", timeout=jupyter_kernel_test.TIMEOUT)


if __name__ == "__main__":
    unittest.main()
