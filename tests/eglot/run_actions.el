;;; run_actions.el --- drive zeke-ls's quick actions through a real eglot, in batch mode
;;
;; Usage: emacs --batch -l run_actions.el -- ROOT FILE OUT PYTHON CONFIG
;; Opens FILE under eglot (server: PYTHON -m zeke_ls --config CONFIG), asks for the code
;; actions on lines 1-2 exactly as `eglot-code-actions' does, executes each Zeke action the
;; way eglot executes a chosen one, and writes what the user would see to OUT as JSON:
;; the buffer after fix/doc (and after undo), every message eglot showed, and the files.

(require 'package)
(package-initialize)
(require 'eglot)
(require 'json)

(defvar zeke-args (cdr (member "--" command-line-args)))
(defvar zeke-root (file-name-as-directory (nth 0 zeke-args)))
(defvar zeke-file (nth 1 zeke-args))
(defvar zeke-out (nth 2 zeke-args))
(defvar zeke-python (nth 3 zeke-args))
(defvar zeke-config (nth 4 zeke-args))
(defvar zeke-messages nil "Every message eglot showed the user, oldest first.")
(defvar zeke-results nil)

(setq eglot-confirm-server-initiated-edits nil
      eglot-sync-connect 60
      eglot-connect-timeout 60
      jsonrpc-default-request-timeout 60
      python-indent-guess-indent-offset nil)

(add-hook 'project-find-functions (lambda (_dir) (cons 'transient zeke-root)))
(add-to-list 'eglot-server-programs
             `(python-mode . (,zeke-python "-m" "zeke_ls" "--config" ,zeke-config)))
(advice-add 'eglot--message :before
            (lambda (format &rest args)
              (setq zeke-messages
                    (append zeke-messages (list (apply #'format format args))))))

(defun zeke-result (key value)
  (push (cons key value) zeke-results))

(defun zeke-region-lines-1-2 ()
  (goto-char (point-min))
  (let ((beg (point)))
    (forward-line 2)
    (list beg (point))))

(defun zeke-run-action (command)
  "Ask for code actions on lines 1-2 and run the one whose command is COMMAND."
  (let* ((server (eglot-current-server))
         (region (zeke-region-lines-1-2))
         (actions (eglot-code-actions (nth 0 region) (nth 1 region)))
         (chosen (cl-find-if (lambda (a) (equal (plist-get (plist-get a :command) :command)
                                                command))
                             actions)))
    (unless chosen (error "no code action runs %s (got %S)" command actions))
    (undo-boundary)
    (let ((cmd (plist-get chosen :command)))
      (eglot-execute-command server (intern (plist-get cmd :command))
                             (plist-get cmd :arguments)))
    (undo-boundary)))

(defun zeke-main ()
  (find-file zeke-file)
  (python-mode)
  (apply #'eglot (eglot--guess-contact))
  (unless (eglot-current-server) (error "eglot did not connect"))
  (zeke-result "original" (buffer-string))
  (zeke-run-action "zeke.explain")
  (zeke-result "afterExplain" (buffer-string))
  (zeke-run-action "zeke.fix")
  (zeke-result "afterFix" (buffer-string))
  (undo)
  (zeke-result "afterUndo" (buffer-string))
  (zeke-run-action "zeke.doc")
  (zeke-result "afterDoc" (buffer-string))
  (zeke-run-action "zeke.test")
  (zeke-result "messages" (vconcat zeke-messages))
  (eglot-shutdown (eglot-current-server)))

(condition-case err
    (zeke-main)
  (error (zeke-result "error" (error-message-string err))
         (zeke-result "messages" (vconcat zeke-messages))))
(with-temp-file zeke-out
  (insert (json-encode zeke-results)))
(kill-emacs 0)
