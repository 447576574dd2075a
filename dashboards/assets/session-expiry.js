// When a session ends (idle timeout, sign-out in another tab, an account disabled), the
// server answers the dashboard's own requests with 401. Load the page again: the server
// then sends the browser to the sign-in page, and back to this page after signing in.
(function () {
  var fetchBefore = window.fetch;
  var reloading = false;
  window.fetch = function () {
    return fetchBefore.apply(this, arguments).then(function (response) {
      if (response.status === 401 && !reloading) {
        reloading = true;
        window.location.reload();
      }
      return response;
    });
  };
})();
