"""Wrong versions of the backprop assignment that the hidden tests must catch."""
from tests.studentwork import Mutant

VALUE_TESTS = ["test_value_ops", "test_value_functions", "test_value_backward"]

# The reference backward: an explicit stack, a visited set, then the order walked backwards.
TOPOLOGICAL_BACKWARD = """\
        order, visited = [], {self}
        stack = [(self, iter(self._prev))]
        while stack:
            node, inputs = stack[-1]
            for child in inputs:
                if child not in visited:
                    visited.add(child)
                    stack.append((child, iter(child._prev)))
                    break
            else:                         # no unvisited input left
                stack.pop()
                order.append(node)
        self.grad = 1.0
        for node in reversed(order):
            node._backward()
"""

# The backward many people write first: push the gradient on as soon as a node is reached.
RECURSIVE_BACKWARD = """\
        self.grad = 1.0

        def send_back(node):
            node._backward()
            for child in node._prev:
                send_back(child)
        send_back(self)
"""

MUTANTS = {
    # Graded through the real grader (tests/test_grading.py) as the class's wrong version.
    "grad_assigned_not_accumulated": Mutant(
        [("            self.grad += out.grad\n            other.grad += out.grad",
          "            self.grad = out.grad\n            other.grad = out.grad"),
         ("self.grad += other.data * out.grad", "self.grad = other.data * out.grad"),
         ("other.grad += self.data * out.grad", "other.grad = self.data * out.grad"),
         ("self.grad += n * self.data ** (n - 1) * out.grad", "self.grad = n * self.data ** (n - 1) * out.grad"),
         ("self.grad += (1 - out.data ** 2) * out.grad", "self.grad = (1 - out.data ** 2) * out.grad")],
        loses=["test_value_ops", "test_value_backward"], why="a * a, a + a and every diamond keep one share"),
    "backward_recursion_without_topological_order": Mutant(
        [(TOPOLOGICAL_BACKWARD, RECURSIVE_BACKWARD)],
        loses=["test_value_backward"], why="diamonds pass gradients on early; a 5,000-node chain overflows the stack"),
    "rsub_computes_a_minus_1": Mutant(
        [("return other + (-self)", "return self - other")],
        loses=["test_value_ops"], why="1 - a gives a - 1"),
    "rtruediv_computes_a_over_1": Mutant(
        [("return other * self ** -1", "return self * other ** -1")],
        loses=["test_value_ops"], why="1 / a gives a / 1"),
    "tanh_derivative_from_the_input": Mutant(
        [("self.grad += (1 - out.data ** 2) * out.grad", "self.grad += (1 - self.data ** 2) * out.grad")],
        loses=["test_value_functions"], why="1 - x**2 instead of 1 - t**2"),
    "tanh_backward_from_the_input": Mutant(
        [("return dout * (1 - out ** 2)", "return dout * (1 - torch.tanh(out) ** 2)")],
        loses=["test_tanh_backward"], why="tanh_backward treats the output it is given as the input"),
    "power_rule_n_x_to_the_n": Mutant(
        [("self.grad += n * self.data ** (n - 1) * out.grad", "self.grad += n * self.data ** n * out.grad")],
        loses=["test_value_ops"]),
    "cross_entropy_not_divided_by_batch": Mutant(
        [("return (probs - one_hot) / batch_size", "return probs - one_hot")],
        loses=["test_cross_entropy_backward"]),
    "db_summed_over_the_wrong_axis": Mutant(
        [("db = dout.sum(dim=0)", "db = dout.sum(dim=1)")],
        loses=["test_linear_backward"]),
    "dW_transposed": Mutant(
        [("dW = dout.T @ x", "dW = x.T @ dout")],
        loses=["test_linear_backward"]),
    "layernorm_without_the_mean_of_dxhat_xhat": Mutant(
        [(" - xhat * (dxhat * xhat).mean(dim=-1, keepdim=True)", "")],
        loses=["test_layernorm_backward"]),
    "forward_differences": Mutant(
        [("(f(x + step) - f(x - step)) / (2 * eps)", "(f(x + step) - f(x)) / eps")],
        loses=["test_numerical_gradient"]),

    # More plausible mistakes.
    "topological_order_not_reversed": Mutant(
        [("for node in reversed(order):", "for node in order:")],
        loses=VALUE_TESTS, why="every node sends its gradient on before receiving it"),
    "backward_never_seeds_the_output": Mutant(
        [("        self.grad = 1.0\n        for node", "        for node")],
        loses=VALUE_TESTS, why="every gradient stays 0"),
    "topological_order_without_visited_set": Mutant(
        [("                if child not in visited:\n                    visited.add(child)\n"
          "                    stack.append((child, iter(child._prev)))\n                    break\n",
          "                stack.append((child, iter(child._prev)))\n                break\n")],
        loses=["test_value_backward"], why="a node reached by two paths is listed, and sends back, twice"),
    "mul_gradients_swapped": Mutant(
        [("self.grad += other.data * out.grad", "self.grad += self.data * out.grad"),
         ("other.grad += self.data * out.grad", "other.grad += other.data * out.grad")],
        loses=VALUE_TESTS),
    "exp_derivative_from_the_input": Mutant(
        [("self.grad += out.data * out.grad", "self.grad += self.data * out.grad")],
        loses=["test_value_functions"]),
    "log_derivative_from_the_output": Mutant(
        [("self.grad += out.grad / self.data", "self.grad += out.grad / out.data")],
        loses=["test_value_functions"]),
    "relu_gradient_1_at_0": Mutant(
        [("self.grad += (self.data > 0) * out.grad", "self.grad += (self.data >= 0) * out.grad")],
        loses=["test_value_functions"]),
    "pow_forgets_out_grad": Mutant(
        [("self.grad += n * self.data ** (n - 1) * out.grad", "self.grad += n * self.data ** (n - 1)")],
        loses=["test_value_ops"], why="the chain rule's upstream factor is dropped"),
    "sub_computes_b_minus_a": Mutant(
        [("return self + (-other)", "return other + (-self)")],
        loses=["test_value_ops"]),
    "central_difference_over_eps": Mutant(
        [("(f(x + step) - f(x - step)) / (2 * eps)", "(f(x + step) - f(x - step)) / eps")],
        loses=["test_numerical_gradient"], why="twice the gradient"),
    "numerical_gradient_ignores_eps": Mutant(
        [("step.view(-1)[i] = eps\n        grad.view(-1)[i] = (f(x + step) - f(x - step)) / (2 * eps)",
          "step.view(-1)[i] = 1e-5\n        grad.view(-1)[i] = (f(x + step) - f(x - step)) / (2 * 1e-5)")],
        loses=["test_numerical_gradient"]),
    "numerical_gradient_in_float32": Mutant(
        [("grad = torch.zeros_like(x)", "grad = torch.zeros(x.shape)")],
        loses=["test_numerical_gradient"]),
    "db_mean_over_the_batch": Mutant(
        [("db = dout.sum(dim=0)", "db = dout.mean(dim=0)")],
        loses=["test_linear_backward"]),
    "dx_uses_W_transposed": Mutant(
        [("dx = dout @ W", "dx = dout @ W.T")],
        loses=["test_linear_backward"]),
    "tanh_backward_forgets_dout": Mutant(
        [("return dout * (1 - out ** 2)", "return 1 - out ** 2")],
        loses=["test_tanh_backward"]),
    "cross_entropy_softmax_over_the_batch": Mutant(
        [("probs = torch.softmax(logits, dim=-1)", "probs = torch.softmax(logits, dim=0)")],
        loses=["test_cross_entropy_backward"]),
    "cross_entropy_overflows": Mutant(
        [("probs = torch.softmax(logits, dim=-1)", "probs = logits.exp() / logits.exp().sum(dim=-1, keepdim=True)")],
        loses=["test_cross_entropy_backward"], why="exp(1000) is inf"),
    "layernorm_without_the_mean_of_dxhat": Mutant(
        [("dxhat - dxhat.mean(dim=-1, keepdim=True) - ", "dxhat - ")],
        loses=["test_layernorm_backward"]),
    "layernorm_unbiased_variance": Mutant(
        [("var = ((x - mean) ** 2).mean(dim=-1, keepdim=True)", "var = x.var(dim=-1, keepdim=True)")],
        loses=["test_layernorm_backward"]),
    "layernorm_eps_outside_the_square_root": Mutant(
        [("s = torch.sqrt(var + eps)", "s = torch.sqrt(var) + eps")],
        loses=["test_layernorm_backward"]),
    "layernorm_dxhat_without_gamma": Mutant(
        [("dxhat = dout * gamma", "dxhat = dout")],
        loses=["test_layernorm_backward"]),
    "mlp_tanh_backward_given_its_input": Mutant(
        [("dn = tanh_backward(a, da)", "dn = tanh_backward(n, da)")],
        loses=["test_mlp"], why="the chain passes the pre-activation where tanh's output is wanted"),
    "mlp_second_layer_input_before_tanh": Mutant(
        [("da, dW2, db2 = linear_backward(a, params[\"W2\"], dlogits)",
          "da, dW2, db2 = linear_backward(n, params[\"W2\"], dlogits)")],
        loses=["test_mlp"]),
    "mlp_skips_tanh": Mutant(
        [("dn = tanh_backward(a, da)", "dn = da")],
        loses=["test_mlp"]),
}


# Caught as well, but graded only with COURSE_ALL_MUTANTS=1 in tests/test_grading.py, so that the
# default suite stays inside its time budget; the wrong versions the issue names stay in MUTANTS.
EXTRA_MUTANTS = {name: MUTANTS.pop(name) for name in (
    "topological_order_not_reversed",
    "backward_never_seeds_the_output",
    "topological_order_without_visited_set",
    "mul_gradients_swapped",
    "exp_derivative_from_the_input",
    "log_derivative_from_the_output",
    "relu_gradient_1_at_0",
    "pow_forgets_out_grad",
    "sub_computes_b_minus_a",
    "central_difference_over_eps",
    "numerical_gradient_ignores_eps",
    "numerical_gradient_in_float32",
    "db_mean_over_the_batch",
    "dx_uses_W_transposed",
    "tanh_backward_forgets_dout",
    "cross_entropy_softmax_over_the_batch",
    "cross_entropy_overflows",
    "layernorm_without_the_mean_of_dxhat",
    "layernorm_unbiased_variance",
    "layernorm_eps_outside_the_square_root",
    "layernorm_dxhat_without_gamma",
    "mlp_tanh_backward_given_its_input",
    "mlp_second_layer_input_before_tanh",
    "mlp_skips_tanh",
)}
